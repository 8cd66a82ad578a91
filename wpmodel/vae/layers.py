"""Causal 3D building blocks of the video VAE; every block takes an optional ``CausalCache``.

Causality in time is structural: convolutions pad only on the past side (the first frame replicated),
GroupNorm normalises each frame on its own (a GroupNorm over [C, T, H, W] would leak future frames into
the statistics of the past), and resampling in time keeps the first frame alone. With a ``CausalCache``
each convolution keeps the input frames its next window still needs, so a clip fed chunk by chunk gives
the same output as the whole clip at once (streaming encode/decode).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class CausalCache:
    """Carry-over frames per convolution, and which resamplers have seen their first frame."""

    def __init__(self) -> None:
        self.frames: dict[nn.Module, Tensor] = {}
        self.started: set[nn.Module] = set()


def _triple(v: int | tuple[int, int, int]) -> tuple[int, int, int]:
    return (v, v, v) if isinstance(v, int) else tuple(v)  # type: ignore[return-value]


class CausalConv3d(nn.Conv3d):
    """Conv3d padded in time on the past side only (first frame replicated), zero-padded in space."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int] = 3,
        stride: int | tuple[int, int, int] = 1,
    ) -> None:
        k, s = _triple(kernel_size), _triple(stride)
        super().__init__(in_channels, out_channels, k, stride=s, padding=0)
        self._space_pad = (k[2] // 2, k[2] // 2, k[1] // 2, k[1] // 2)  # F.pad order: W then H

    def forward(self, x: Tensor, cache: CausalCache | None = None) -> Tensor:  # [B, C, T, H, W]
        kt, st = self.kernel_size[0], self.stride[0]
        if cache is not None and self in cache.frames:
            past = cache.frames[self]  # what the previous chunk left over
        else:
            past = x[:, :, :1].expand(-1, -1, kt - 1, -1, -1)
        xp = torch.cat([past, x], dim=2) if past.shape[2] else x
        n_out = max(0, (xp.shape[2] - kt) // st + 1)
        if cache is not None:
            cache.frames[self] = xp[:, :, n_out * st :]
        if n_out == 0:
            b, _, _, h, w = x.shape
            return x.new_zeros(b, self.out_channels, 0, h // self.stride[1], w // self.stride[2])
        return super().forward(F.pad(xp, self._space_pad))


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm over (C, H, W) of each frame separately, so no statistic crosses time."""

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T, H, W]
        b, c, t, h, w = x.shape
        y = super().forward(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.reshape(b, t, c, h, w).transpose(1, 2)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> CausalConv3d, twice, with a (1x1x1-projected) skip connection."""

    def __init__(self, in_ch: int, out_ch: int, groups: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = FrameGroupNorm(groups, in_ch)
        self.conv1 = CausalConv3d(in_ch, out_ch, 3)
        self.norm2 = FrameGroupNorm(groups, out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = CausalConv3d(out_ch, out_ch, 3)
        self.skip = nn.Conv3d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: Tensor, cache: CausalCache | None = None) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)), cache)
        h = self.conv2(self.dropout(F.silu(self.norm2(h))), cache)
        return self.skip(x) + h


class Downsample(nn.Module):
    """Halve H and W (strided 3x3 conv per frame); with ``temporal``, also halve time keeping the first
    frame alone: T = 1 + 2m -> 1 + m, output j >= 1 sees input frames <= 2j."""

    def __init__(self, channels: int, temporal: bool) -> None:
        super().__init__()
        self.space = CausalConv3d(channels, channels, (1, 3, 3), stride=(1, 2, 2))
        self.time = CausalConv3d(channels, channels, (3, 1, 1), stride=(2, 1, 1)) if temporal else None

    def forward(self, x: Tensor, cache: CausalCache | None = None) -> Tensor:
        x = self.space(x, cache)
        return self.time(x, cache) if self.time is not None else x


class Upsample(nn.Module):
    """Double H and W (nearest + 3x3 conv); with ``temporal``, each frame becomes two except the clip's
    first, which stays one: T = 1 + m -> 1 + 2m (the inverse of ``Downsample``'s time step)."""

    def __init__(self, channels: int, temporal: bool) -> None:
        super().__init__()
        self.time = CausalConv3d(channels, 2 * channels, (3, 1, 1)) if temporal else None
        self.space = CausalConv3d(channels, channels, (1, 3, 3))

    def forward(self, x: Tensor, cache: CausalCache | None = None) -> Tensor:
        if self.time is not None:
            b, c, t, h, w = x.shape
            y = self.time(x, cache).reshape(b, 2, c, t, h, w)  # two output frames per input frame
            y = y.permute(0, 2, 3, 1, 4, 5).reshape(b, c, 2 * t, h, w)  # interleave in time
            first = cache is None or self not in cache.started
            if cache is not None:
                cache.started.add(self)
            x = y[:, :, 1:] if first else y
        b, c, t, h, w = x.shape
        x = F.interpolate(x.reshape(b, c * t, h, w), scale_factor=2, mode="nearest")
        return self.space(x.reshape(b, c, t, 2 * h, 2 * w), cache)
