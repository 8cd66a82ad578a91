"""3D rotary position embedding: the head dim split into (time, y, x) blocks, each rotated by its axis.

Time positions are floats from ``time_index`` (temporal reframing only changes them); y and x are the
patch grid. Scores between two rotated vectors depend only on the difference of their positions.
"""

from __future__ import annotations

import torch


def axis_freqs(dim: int, theta: float, device: torch.device | None = None) -> torch.Tensor:
    """Rotation frequencies of one axis block of ``dim`` channels: [dim / 2] float64."""
    return theta ** (-torch.arange(0, dim, 2, dtype=torch.float64, device=device) / dim)


def rope_angles(
    time_index: torch.Tensor,  # [B, L] float
    grid_h: int,
    grid_w: int,
    split: tuple[int, int, int],
    theta: float,
) -> torch.Tensor:
    """Rotation angles of every frame token: [B, L * grid_h * grid_w, head_dim / 2] float64."""
    B, L = time_index.shape
    dev = time_index.device
    dt, dy, dx = split
    ys = torch.arange(grid_h, dtype=torch.float64, device=dev).repeat_interleave(grid_w)  # [N]
    xs = torch.arange(grid_w, dtype=torch.float64, device=dev).repeat(grid_h)  # [N]
    N = grid_h * grid_w
    a_t = time_index.to(torch.float64)[..., None] * axis_freqs(dt, theta, dev)  # [B, L, dt/2]
    a_t = a_t[:, :, None, :].expand(B, L, N, dt // 2)
    a_y = (ys[:, None] * axis_freqs(dy, theta, dev)).expand(B, L, N, dy // 2)
    a_x = (xs[:, None] * axis_freqs(dx, theta, dev)).expand(B, L, N, dx // 2)
    return torch.cat([a_t, a_y, a_x], dim=-1).reshape(B, L * N, (dt + dy + dx) // 2)


def rope_cos_sin(angles: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of angles [B, S, D/2] as [B, 1, S, D/2] in ``dtype`` (broadcast over heads)."""
    return torch.cos(angles)[:, None].to(dtype), torch.sin(angles)[:, None].to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (2i, 2i+1) of x [B, H, S, D] by angles given as cos/sin [B, 1, S, D/2]."""
    x2 = x.unflatten(-1, (-1, 2))  # [B, H, S, D/2, 2]
    a, b = x2[..., 0], x2[..., 1]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
