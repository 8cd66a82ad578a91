"""DiTConfig: the WorldPlay DiT's hyper-parameters, with size presets and plain-dict round trips."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Presets: hidden, depth, heads. Parameter counts (tests/wpmodel/dit/test_config.py prints them):
# tiny ~1.6M (trains on a laptop CPU on 16x16 latents), small ~37M, 1b ~1.1B (GPU).
_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"hidden": 128, "depth": 4, "heads": 4},
    "small": {"hidden": 384, "depth": 12, "heads": 6},
    "1b": {"hidden": 1536, "depth": 24, "heads": 24},
}


@dataclass
class DiTConfig:
    """Hyper-parameters of :class:`wpmodel.dit.model.WorldPlayDiT`."""

    latent_channels: int = 16
    patch_size: tuple[int, int, int] = (1, 2, 2)  # (time, y, x); time must be 1 (one token row per latent)
    hidden: int = 128
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 4.0
    caption_dim: int = 384
    caption_tokens: int = 4
    chunk_latents: int = 4
    num_actions: int = 81
    use_actions: bool = True
    use_prope: bool = True
    qk_norm: bool = True
    rope_theta: float = 10000.0
    rope_dims: tuple[int, int, int] | None = None  # (time, y, x) split of the head dim; None: automatic
    freq_dim: int = 256  # sinusoidal features of the timestep and of the action label
    timestep_scale: float = 1000.0  # flow time t in [0, 1] is embedded as t * timestep_scale
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes carried through to_dict

    def __post_init__(self) -> None:
        self.patch_size = tuple(int(p) for p in self.patch_size)  # type: ignore[assignment]
        if self.rope_dims is not None:
            self.rope_dims = tuple(int(d) for d in self.rope_dims)  # type: ignore[assignment]
        problems = []
        if len(self.patch_size) != 3 or self.patch_size[0] != 1 or min(self.patch_size) < 1:
            problems.append(f"patch_size must be (1, py, px) with py, px >= 1, got {self.patch_size}")
        if self.hidden % self.heads:
            problems.append(f"hidden {self.hidden} is not divisible by heads {self.heads}")
        elif self.head_dim % 4:
            problems.append(f"head dim {self.head_dim} must be a multiple of 4 (PRoPE acts on 4-blocks)")
        elif self.rope_dims is not None and (
            sum(self.rope_dims) != self.head_dim or any(d % 2 for d in self.rope_dims)
        ):
            problems.append(f"rope_dims {self.rope_dims} must be even and sum to head dim {self.head_dim}")
        if self.chunk_latents < 1 or self.depth < 1 or self.caption_tokens < 0:
            problems.append("chunk_latents and depth must be >= 1, caption_tokens >= 0")
        if problems:
            raise ValueError("invalid DiTConfig: " + "; ".join(problems))

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def rope_split(self) -> tuple[int, int, int]:
        """(time, y, x) channels of the head dim that 3D RoPE rotates; each even, summing to head_dim."""
        if self.rope_dims is not None:
            return self.rope_dims  # type: ignore[return-value]
        spatial = 2 * (self.head_dim // 6)
        return (self.head_dim - 2 * spatial, spatial, spatial)

    @property
    def patch_dim(self) -> int:
        """Values in one patch token: channels x patch volume."""
        pt, py, px = self.patch_size
        return self.latent_channels * pt * py * px

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> DiTConfig:
        """A named size ("tiny", "small", "1b") with optional field overrides."""
        if name not in _PRESETS:
            raise ValueError(f"unknown DiT preset {name!r}; known: {sorted(_PRESETS)}")
        return cls(**{**_PRESETS[name], **overrides})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DiTConfig:
        """From a plain dict (e.g. YAML); a "preset" key picks the base, unknown keys are an error."""
        d = dict(d)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known - {"preset"})
        if unknown:
            raise ValueError(f"unknown DiTConfig key(s) {unknown}; known: {sorted(known)}")
        preset = d.pop("preset", None)
        return cls.preset(preset, **d) if preset else cls(**d)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict (tuples as lists); ``from_dict(to_dict())`` gives an equal config."""
        d = dataclasses.asdict(self)
        d["patch_size"] = list(self.patch_size)
        d["rope_dims"] = None if self.rope_dims is None else list(self.rope_dims)
        return d


PRESETS: tuple[str, ...] = tuple(_PRESETS)
