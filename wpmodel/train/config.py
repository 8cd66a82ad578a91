"""``TrainConfig``: what the WorldPlay DiT trainer does, in small sections, loaded from YAML.

Sections (one dataclass each, torchtitan style): ``model`` (DiT preset + field overrides), ``data``
(shards, windows, latents or on-the-fly VAE encoding), ``optim`` (AdamW, warmup, clipping), ``train``
(steps, memory-mode probability, caption drop, EMA, cadence of logs/checkpoints/samples, output),
``dist`` (backend, FSDP). ``load_train_config(path, overrides)`` merges a YAML file with overrides
(nested dicts or dotted keys, e.g. ``{"train.steps": 10}``), key by key -- the same rule as
``pipelines/jobs/config_io.py``, rewritten here because wpmodel may not import pipelines.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wpmodel.dit.config import DiTConfig


@dataclass
class ModelSection:
    preset: str = "tiny"  # DiTConfig preset: tiny | small | 1b
    overrides: dict[str, Any] = field(default_factory=dict)  # DiTConfig fields, e.g. latent_channels
    grad_checkpointing: bool = False

    def dit_config(self) -> DiTConfig:
        return DiTConfig.preset(self.preset, **self.overrides)


@dataclass
class DataSection:
    shards: Any = None  # list of urls, brace pattern, folder of *.tar, or wids index (.json)
    val_shards: Any = None  # held-out shards for the validation loss (None: no validation)
    window_latents: int | None = 24  # reader window (20 context + 4 target); None: whole clips
    latents: bool = True  # read latent.safetensors; False: decode mp4 and encode with the VAE
    vae_path: str | None = None  # saved VideoVAE folder (wpmodel.vae.load_vae); needed when latents=False
    size: tuple[int, int] | None = None  # (width, height) to resize decoded video to (latents=False)
    batch_size: int = 2
    num_workers: int = 0
    shuffle_buffer: int = 16
    val_batches: int = 4  # batches of val_shards per validation

    def __post_init__(self) -> None:
        if self.size is not None:
            self.size = tuple(int(v) for v in self.size)  # type: ignore[assignment]


@dataclass
class OptimSection:
    lr: float = 1e-4
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_steps: int = 100  # linear warmup, then constant
    grad_clip: float = 1.0

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]


@dataclass
class LoopSection:
    steps: int = 1000
    p_memory: float = 0.8  # probability of a memory-mode window (when the clip is long enough)
    time_mode: str = (
        "reframed"  # RoPE time indices of memory windows: "reframed" (release) | "absolute" (ablation)
    )
    context_latents: int = 20
    target_latents: int = 4
    caption_drop: float = 0.1
    timestep_shift: float = 3.0
    ema_decay: float = 0.999
    seed: int = 0
    device: str = "auto"  # auto: cuda:<local_rank> when available, else cpu
    precision: str = "bf16"  # bf16 autocast on CUDA only; fp32 always on CPU
    log_every: int = 10
    ckpt_every: int = 500
    keep_last: int = 3
    sample_every: int = 500  # 0: never
    sample_steps: int = 8  # Euler steps per generated chunk
    sample_chunks: int = 1  # chunks generated after the given first chunk
    val_every: int = 100  # 0: never
    out_dir: str = "runs/train"

    def __post_init__(self) -> None:
        if self.precision not in ("bf16", "fp32"):
            raise ValueError(f"train.precision must be 'bf16' or 'fp32', got {self.precision!r}")
        if self.time_mode not in ("reframed", "absolute"):
            raise ValueError(f"train.time_mode must be 'reframed' or 'absolute', got {self.time_mode!r}")
        if not 0.0 <= self.p_memory <= 1.0 or not 0.0 <= self.caption_drop <= 1.0:
            raise ValueError("train.p_memory and train.caption_drop must be in [0, 1]")
        for name in ("steps", "log_every", "ckpt_every", "keep_last"):
            if getattr(self, name) < 1:
                raise ValueError(f"train.{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class DistSection:
    backend: str = "auto"  # auto: nccl on CUDA, gloo on CPU
    fsdp: bool = False  # shard parameters (FSDP2 fully_shard per block) instead of DDP


@dataclass
class TrainConfig:
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    optim: OptimSection = field(default_factory=OptimSection)
    train: LoopSection = field(default_factory=LoopSection)
    dist: DistSection = field(default_factory=DistSection)

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML/JSON-safe dict (tuples as lists); ``from_dict(to_dict())`` is an equal config."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """From nested section dicts; unknown sections or keys raise ValueError naming them."""
        return sections_from_dict(cls, d)


def sections_from_dict(cls: type, d: dict[str, Any]) -> Any:
    """``cls`` (a dataclass of dataclass sections) from nested dicts; unknown sections or keys raise
    ValueError naming them. Shared by the train and distill configs."""
    sections = {f.name: f.default_factory for f in dataclasses.fields(cls)}  # type: ignore[misc]
    unknown = sorted(set(d) - set(sections))
    if unknown:
        raise ValueError(f"unknown config section(s) {unknown}; known: {sorted(sections)}")
    built = {}
    for name, factory in sections.items():
        kind = type(factory())
        values = dict(d.get(name) or {})
        bad = sorted(set(values) - {f.name for f in dataclasses.fields(kind)})
        if bad:
            raise ValueError(f"unknown key(s) {bad} in config section {name!r}")
        built[name] = kind(**values)
    return cls(**built)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: nested mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def undot(overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"train.steps": 5, "model": {...}}`` -> nested dicts."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        *parents, leaf = str(key).split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = (
            merge(node[leaf], value)
            if isinstance(value, dict) and isinstance(node.get(leaf), dict)
            else value
        )
    return out


def load_train_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The YAML at ``path`` (sections as ``TrainConfig``) with ``overrides`` merged in; errors name the file."""
    return load_sections(TrainConfig, path, overrides)


def load_sections(cls: type, path: str | Path | None, overrides: dict[str, Any] | None) -> Any:
    """``cls.from_dict`` of the YAML at ``path`` with ``overrides`` (nested or dotted keys) merged in;
    errors name the file. Shared by the train and distill configs."""
    data: dict[str, Any] = {}
    where = "config"
    if path is not None:
        path, where = Path(path), str(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: config file does not exist")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of config sections")
    data = merge(data, undot(overrides or {}))
    try:
        return cls.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from exc
