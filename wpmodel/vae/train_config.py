"""``TrainVAEConfig``: what ``train_vae`` does, loaded from YAML (pipelines/configs/train_vae.yaml)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from wpmodel.vae.config import VAEConfig, vae_config


@dataclass
class TrainVAEConfig:
    """Optimisation, loss weights, crops and the cadence of logs, samples and checkpoints."""

    vae_preset: str = "tiny"
    vae: dict[str, Any] = field(default_factory=dict)  # VAEConfig fields overriding the preset
    steps: int = 1000
    lr: float = 2e-4
    warmup_steps: int = 100  # linear LR warmup, then constant
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0
    kl_weight: float = 1e-6
    ssim_weight: float = 0.0
    ema_decay: float = 0.999
    ema_warmup: bool = True
    num_frames: int | None = (
        None  # random temporal crop to this many frames (1 + 4k); None: all (cut to 1 + 4k)
    )
    crop_size: int | None = None  # random square spatial crop (multiple of 8); None: full frame
    seed: int = 0
    device: str = "auto"  # auto: cuda when available
    bf16: bool = True  # bf16 autocast, on CUDA only
    log_every: int = 10  # tensorboard scalars
    sample_every: int = 250  # reconstruction PNG + mp4 (EMA weights)
    ckpt_every: int = 250
    keep_last: int = 3

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]
        if self.num_frames is not None and (self.num_frames - 1) % 4:
            raise ValueError(f"num_frames must be 1 + 4k, got {self.num_frames}")
        if self.crop_size is not None and self.crop_size % 8:
            raise ValueError(f"crop_size must be a multiple of 8, got {self.crop_size}")
        for name in ("steps", "log_every", "sample_every", "ckpt_every", "keep_last"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def vae_config(self) -> VAEConfig:
        return vae_config(self.vae_preset, **self.vae)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainVAEConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown TrainVAEConfig keys {unknown}; known: {sorted(known)}")
        return cls(**d)


def load_train_vae_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> TrainVAEConfig:
    """The ``train`` section of a YAML file (or the whole file if it has none), with ``overrides``."""
    d: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: config file does not exist")
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping at the top level")
        d = dict(raw.get("train", raw))
    d.update(overrides or {})
    try:
        return TrainVAEConfig.from_dict(d)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path or 'config'}: {exc}") from exc
