"""The configuration of ``wp shard``: defaults in ``pipelines/configs/shard.yaml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.jobs.config_io import check_sections, load_sections, section
from wpdata.shards import EncodeSettings, PlanConfig

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "shard.yaml"


@dataclass
class PathsConfig:
    """Folders besides ROOT that manifest paths may resolve into."""

    extra_roots: list[str] = field(default_factory=list)


@dataclass
class WriteConfig:
    """Resources of the shard-writing stage."""

    num_cpus: float = 1


LATENT_DTYPES = ("float16", "bfloat16", "float32")
VAE_KINDS = ("auto", "project", "diffusers")


@dataclass
class LatentsConfig:
    """Latent pre-encoding (``pipelines.jobs.encode_latents``); ``vae_path: null`` writes no latents."""

    vae_path: str | None = None  # a saved VideoVAE folder or a diffusers video-VAE folder
    kind: str = "auto"  # auto: from config.json's _class_name; project (VideoVAE) | diffusers
    device: str = "auto"  # auto: cuda when the worker has a GPU, else cpu; or "cpu", "cuda", "cuda:0"
    dtype: str = "float16"  # of the stored latents (encoding runs in float32)
    num_gpus: float = 0  # per encoding worker: 1 on a GPU cluster
    num_cpus: float = 1  # per encoding worker
    workers: int | None = None  # encoding actor-pool size; null: the job's --workers
    batch_size: int = 4  # samples handed to one worker call (each is encoded alone: see the stage)
    chunk_frames: int | None = None  # project VAE: encode in chunks of this many frames (bounded memory)

    def __post_init__(self) -> None:
        if self.kind not in VAE_KINDS:
            raise ValueError(f"latents.kind must be one of {VAE_KINDS}, got {self.kind!r}")
        if self.dtype not in LATENT_DTYPES:
            raise ValueError(f"latents.dtype must be one of {LATENT_DTYPES}, got {self.dtype!r}")
        if int(self.batch_size) < 1:
            raise ValueError(f"latents.batch_size must be >= 1, got {self.batch_size}")
        if self.chunk_frames is not None and (int(self.chunk_frames) < 4 or int(self.chunk_frames) % 4):
            raise ValueError(
                f"latents.chunk_frames must be a positive multiple of 4, got {self.chunk_frames}"
            )


@dataclass
class ShardConfig:
    """Every setting of the shard job, section by section."""

    plan: PlanConfig = field(default_factory=PlanConfig)
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    paths: PathsConfig = field(default_factory=PathsConfig)
    write: WriteConfig = field(default_factory=WriteConfig)
    latents: LatentsConfig = field(default_factory=LatentsConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": asdict(self.plan),
            "encode": asdict(self.encode),
            "paths": asdict(self.paths),
            "write": asdict(self.write),
            "latents": asdict(self.latents),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardConfig:
        """From nested sections; unknown sections or keys raise ValueError."""
        check_sections(data, {"plan", "encode", "paths", "write", "latents"})
        return cls(
            plan=section(data, "plan", PlanConfig),
            encode=section(data, "encode", EncodeSettings),
            paths=section(data, "paths", PathsConfig),
            write=section(data, "write", WriteConfig),
            latents=section(data, "latents", LatentsConfig),
        )


def load_shard_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> ShardConfig:
    """Defaults, then the YAML at ``path``, then ``overrides`` (same shape), merged key by key."""
    return ShardConfig.from_dict(load_sections(DEFAULT_CONFIG, path, overrides))
