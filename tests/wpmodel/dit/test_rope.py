"""3D RoPE: rotated dot products depend only on position differences, per axis."""

from __future__ import annotations

import torch

from wpmodel.dit.rope import apply_rope, rope_angles, rope_cos_sin


def _rotated(x: torch.Tensor, time_index: torch.Tensor, gh: int, gw: int) -> torch.Tensor:
    cos, sin = rope_cos_sin(rope_angles(time_index, gh, gw, (8, 4, 4), 100.0), torch.float64)
    return apply_rope(x, cos, sin)


def test_scores_depend_on_relative_time_only():
    g = torch.Generator().manual_seed(0)
    L, gh, gw, D = 3, 2, 2, 16
    q = torch.randn(1, 1, L * gh * gw, D, generator=g, dtype=torch.float64)
    k = torch.randn(1, 1, L * gh * gw, D, generator=g, dtype=torch.float64)
    ti = torch.tensor([[0.0, 1.0, 5.0]])
    s = _rotated(q, ti, gh, gw) @ _rotated(k, ti, gh, gw).transpose(-1, -2)
    s_shift = _rotated(q, ti + 12.25, gh, gw) @ _rotated(k, ti + 12.25, gh, gw).transpose(-1, -2)
    assert torch.allclose(s, s_shift, atol=1e-10)
    s_warp = _rotated(q, ti * 2, gh, gw) @ _rotated(k, ti * 2, gh, gw).transpose(-1, -2)
    assert (s - s_warp).abs().max() > 1e-3
    # rotation preserves norms, and position 0 on every axis is the identity
    assert torch.allclose(_rotated(q, ti, gh, gw).norm(dim=-1), q.norm(dim=-1))
    first = slice(0, 1)  # frame 0 (time 0), token (y 0, x 0)
    assert torch.equal(_rotated(q, ti, gh, gw)[..., first, :], q[..., first, :])


def test_axes_occupy_their_channel_blocks():
    """Moving in time rotates only the time channels; moving in x only the x channels."""
    x = torch.ones(1, 1, 2 * 1 * 2, 16, dtype=torch.float64)  # 2 frames of 1x2 tokens
    r = _rotated(x, torch.tensor([[0.0, 3.0]]), 1, 2)
    tok = {"t0x0": 0, "t0x1": 1, "t1x0": 2}
    dt = (r[0, 0, tok["t1x0"]] - r[0, 0, tok["t0x0"]]).abs() > 1e-9
    dx = (r[0, 0, tok["t0x1"]] - r[0, 0, tok["t0x0"]]).abs() > 1e-9
    assert dt[:8].any() and not dt[8:].any()
    assert dx[12:].any() and not dx[:12].any()
