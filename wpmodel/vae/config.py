"""The causal video VAE's configuration: a dataclass, named presets, dict round trip."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class VAEConfig:
    """Architecture of ``VideoVAE``: 3 down levels (8x space), two of which also halve time (4x)."""

    in_channels: int = 3
    latent_channels: int = 16
    base_channels: int = 32
    channel_mult: tuple[int, ...] = (1, 2, 4, 4)  # one entry per level; a down/up step between levels
    num_res_blocks: int = 1  # encoder ResBlocks per level (the decoder uses one more, as SD/Wan do)
    temporal_downsample: tuple[bool, ...] = (False, True, True)  # which of the down steps halve time
    norm_groups: int = 8  # GroupNorm groups (per frame)
    dropout: float = 0.0
    logvar_min: float = -30.0  # posterior log-variance clamp
    logvar_max: float = 20.0
    scaling_factor: float = 1.0  # latent normalisation for diffusion: (z - shift) * scale
    shift_factor: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_mult", tuple(int(m) for m in self.channel_mult))
        object.__setattr__(self, "temporal_downsample", tuple(bool(t) for t in self.temporal_downsample))
        if len(self.temporal_downsample) != len(self.channel_mult) - 1:
            raise ValueError(
                f"temporal_downsample needs one entry per down step ({len(self.channel_mult) - 1}), "
                f"got {self.temporal_downsample}"
            )
        for c in (self.base_channels * m for m in self.channel_mult):
            if c % self.norm_groups:
                raise ValueError(f"channels {c} not divisible by norm_groups {self.norm_groups}")

    @property
    def spatial_compression(self) -> int:
        return 2 ** (len(self.channel_mult) - 1)

    @property
    def temporal_compression(self) -> int:
        return 2 ** sum(self.temporal_downsample)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["channel_mult"] = list(self.channel_mult)
        d["temporal_downsample"] = list(self.temporal_downsample)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VAEConfig:
        """Config from a dict; unknown keys raise (a typo must not silently fall back to a default)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown VAEConfig keys {unknown}; known: {sorted(known)}")
        return cls(**d)


PRESETS: dict[str, VAEConfig] = {
    # ~1.9M parameters: trains on a laptop CPU at 32x32; few channels at full resolution (the cost)
    "tiny": VAEConfig(base_channels=8, channel_mult=(1, 2, 4, 8), num_res_blocks=1, norm_groups=4),
    # ~130M parameters: a GPU config of Wan-2.1-VAE proportions (base 96, mult 1-2-4-4, 2 blocks)
    "base": VAEConfig(base_channels=96, channel_mult=(1, 2, 4, 4), num_res_blocks=2, norm_groups=32),
}


def vae_config(preset: str = "tiny", **overrides: Any) -> VAEConfig:
    """A named preset with fields overridden."""
    if preset not in PRESETS:
        raise ValueError(f"unknown VAE preset {preset!r}; known: {sorted(PRESETS)}")
    return replace(PRESETS[preset], **overrides) if overrides else PRESETS[preset]


__all__ = ["PRESETS", "VAEConfig", "vae_config"]
