"""``DistillConfig``: what ``wp distill`` (Context Forcing, DMD) does, in small sections, loaded from YAML.

Sections: ``teacher`` (the trained WorldPlay checkpoint all three networks come from), ``data`` (the
trainer's ``DataSection``: shards of clips whose clean latents give the history and the teacher's
context), ``distill`` (rollout, DMD, context alignment), ``optim`` (two AdamW optimizers), ``train``
(loop cadence, EMA, output), ``dist`` (the trainer's ``DistSection``). Defaults are the reference's
(REFERENCE.md section 1, "DMD as in Self-Forcing / CausVid"): 4 denoising steps, guidance 3, critic
updated 5x per generator update, lr 2e-6 / 4e-7, betas (0, 0.999), EMA 0.99, t clamped to [0.02, 0.98].
YAML merging (nested dicts or dotted overrides) is ``wpmodel.train.config``'s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wpmodel.train.config import DataSection, DistSection, _plain, load_sections, sections_from_dict


@dataclass
class TeacherSection:
    path: str | None = None  # `wp train` run folder (newest checkpoint) or one step_* checkpoint folder
    config: str | None = None  # its train config, when the run folder has no train_config.json
    ema: bool = True  # start from the EMA weights when the checkpoint has them


@dataclass
class DistillSection:
    denoising_steps: int = 4  # student steps: t = shift(1, .75, .5, .25) as at inference
    shift: float = 3.0  # timestep shift of the student grid and of the DMD noise level
    guidance_scale: float = 3.0  # CFG on the teacher (real score): cond + g (cond - uncond)
    critic_steps: int = 5  # critic updates per generator update
    rollout_chunks: int = 3  # chunks the student rolls out with its own memory
    grad_chunks: int = 1  # the last k rolled-out chunks carry gradients
    min_history_chunks: int = 1  # clean data chunks before the rollout start (first chunk included)
    context_alignment: bool = True  # False: the teacher retrieves its own context (the ablation)
    timestep_clamp: tuple[float, float] = (0.02, 0.98)  # DMD / critic flow times, after the shift
    temporal_chunks: int = 3  # reconstituted memory, as at inference (release numbers)
    memory_latents: int = 8
    time_mode: str = "reframed"  # reframed | absolute
    memory: str = "fov"  # fov | random | none: the student's retrieval (StreamingGenerator)

    def __post_init__(self) -> None:
        self.timestep_clamp = tuple(float(v) for v in self.timestep_clamp)  # type: ignore[assignment]
        lo, hi = self.timestep_clamp
        if not 0.0 < lo <= hi < 1.0:
            raise ValueError(
                f"distill.timestep_clamp must satisfy 0 < lo <= hi < 1, got {self.timestep_clamp}"
            )
        if self.denoising_steps < 1 or self.critic_steps < 0 or self.rollout_chunks < 1:
            raise ValueError("distill.denoising_steps and rollout_chunks must be >= 1, critic_steps >= 0")
        if not 1 <= self.grad_chunks <= self.rollout_chunks:
            raise ValueError(f"distill.grad_chunks must be in [1, rollout_chunks], got {self.grad_chunks}")
        if self.min_history_chunks < 1:
            raise ValueError("distill.min_history_chunks must be >= 1 (the first chunk is given clean)")
        if self.time_mode not in ("reframed", "absolute"):
            raise ValueError(f"distill.time_mode must be 'reframed' or 'absolute', got {self.time_mode!r}")


@dataclass
class DistillOptimSection:
    lr_generator: float = 2e-6
    lr_critic: float = 4e-7
    betas: tuple[float, float] = (0.0, 0.999)
    weight_decay: float = 0.01
    warmup_steps: int = 0  # linear warmup of both lrs (0: none)
    grad_clip: float = 10.0

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]


@dataclass
class DistillLoopSection:
    steps: int = 1000  # generator updates
    ema_decay: float = 0.99
    seed: int = 0
    device: str = "auto"
    precision: str = "bf16"  # bf16 autocast on CUDA only; fp32 on CPU
    log_every: int = 10
    ckpt_every: int = 200
    keep_last: int = 3
    sample_every: int = 200  # 0: never
    sample_chunks: int = 2
    out_dir: str = "runs/distill"

    def __post_init__(self) -> None:
        if self.precision not in ("bf16", "fp32"):
            raise ValueError(f"train.precision must be 'bf16' or 'fp32', got {self.precision!r}")
        for name in ("steps", "log_every", "ckpt_every", "keep_last"):
            if getattr(self, name) < 1:
                raise ValueError(f"train.{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class DistillConfig:
    teacher: TeacherSection = field(default_factory=TeacherSection)
    data: DataSection = field(default_factory=DataSection)
    distill: DistillSection = field(default_factory=DistillSection)
    optim: DistillOptimSection = field(default_factory=DistillOptimSection)
    train: DistillLoopSection = field(default_factory=DistillLoopSection)
    dist: DistSection = field(default_factory=DistSection)

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML/JSON-safe dict; ``from_dict(to_dict())`` is an equal config."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DistillConfig:
        """From nested section dicts; unknown sections or keys raise ValueError naming them."""
        return sections_from_dict(cls, d)


def load_distill_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> DistillConfig:
    """The YAML at ``path`` with ``overrides`` (nested or dotted keys) merged in; errors name the file."""
    return load_sections(DistillConfig, path, overrides)
