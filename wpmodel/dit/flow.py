"""Flow matching as WorldPlay trains it: x_t = (1 - t) x0 + t eps, velocity target eps - x0.

Timesteps are drawn per chunk (diffusion-forcing style): logit-normal(0, 1), shifted with
``s' = shift * s / (1 + (shift - 1) * s)`` (shift 3 pushes mass towards noise), one value for all the
latents of a chunk. Sampling integrates the velocity with Euler steps on the same shifted time grid.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def shift_time(s: torch.Tensor | float, shift: float) -> torch.Tensor | float:
    """The timestep shift: s' = shift * s / (1 + (shift - 1) * s); identity at shift 1."""
    return shift * s / (1 + (shift - 1) * s)


def sample_chunk_timesteps(
    B: int,
    L: int,
    chunk_latents: int,
    generator: torch.Generator | None = None,
    shift: float = 3.0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Flow times [B, L] float32: logit-normal(0, 1) per chunk, shifted, repeated over the chunk's latents."""
    if B < 1 or L < 1 or chunk_latents < 1:
        raise ValueError(f"B, L and chunk_latents must be >= 1, got {B}, {L}, {chunk_latents}")
    n_chunks = -(-L // chunk_latents)
    u = torch.randn(B, n_chunks, generator=generator, device=device)  # [B, n_chunks]
    s = shift_time(torch.sigmoid(u), shift)
    return s.repeat_interleave(chunk_latents, dim=1)[:, :L].contiguous()


def _bcast(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """t [B, L] -> [B, L, 1, 1, 1] (as many trailing ones as x needs), in x's dtype."""
    return t.to(x.dtype).reshape(*t.shape, *([1] * (x.ndim - t.ndim)))


def add_noise(x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = (1 - t) x0 + t eps for x0, eps [B, L, ...] and t [B, L]."""
    tb = _bcast(t, x0)
    return (1 - tb) * x0 + tb * eps


def velocity_target(x0: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """The flow-matching velocity d x_t / d t = eps - x0."""
    return eps - x0


def flow_loss(
    pred: torch.Tensor, target: torch.Tensor, weight_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """MSE per latent frame, averaged over frames weighted by ``weight_mask`` [B, L] (e.g. the target chunk)."""
    if pred.shape != target.shape:
        raise ValueError(f"pred {list(pred.shape)} and target {list(target.shape)} differ")
    per_frame = (pred.float() - target.float()).pow(2).flatten(2).mean(-1)  # [B, L]
    if weight_mask is None:
        return per_frame.mean()
    if weight_mask.shape != per_frame.shape:
        raise ValueError(f"weight_mask must be {list(per_frame.shape)}, got {list(weight_mask.shape)}")
    w = weight_mask.to(per_frame.dtype)
    return (per_frame * w).sum() / w.sum().clamp_min(1e-8)


def time_grid(steps: int, shift: float = 3.0) -> torch.Tensor:
    """Sampling times [steps + 1] float64 from 1 (noise) down to 0 (data), shifted like training."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return shift_time(torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64), shift)


@torch.no_grad()
def euler_sample(
    model_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x_T: torch.Tensor,
    steps: int,
    shift: float = 3.0,
) -> torch.Tensor:
    """Integrate dx/dt = v from t = 1 to 0 with Euler steps; model_fn(x [B, L, ...], t [B, L]) -> v."""
    x = x_T
    grid = time_grid(steps, shift)
    for t_cur, t_next in zip(grid[:-1].tolist(), grid[1:].tolist(), strict=True):
        t = torch.full(x.shape[:2], t_cur, dtype=torch.float32, device=x.device)
        x = x + (t_next - t_cur) * model_fn(x, t).to(x.dtype)
    return x
