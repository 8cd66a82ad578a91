"""DMD generator loss (CFG on the teacher) and the critic's flow-matching loss on student samples.

As in Self-Forcing / CausVid (REFERENCE.md section 1), with the WorldPlay flow convention
``x_t = (1 - t) x0 + t eps`` and velocity ``v = eps - x0`` (so ``x0 = x_t - t v``):

- noise level: u ~ U(lo, hi), shifted, clamped to [lo, hi] (``dmd_timestep``);
- real score: ``v_real = v_cond + g (v_cond - v_uncond)`` (teacher, caption dropped = zeros for uncond);
  fake score: the critic's ``v_cond``; both as clean predictions ``x0 = x_t - t v``;
- ``grad = (fake_x0 - real_x0) / mean|x - real_x0|`` (mean over each sample), and
  ``loss = 0.5 * MSE(x, stopgrad(x - grad))``, whose gradient in x is ``grad / numel``;
- critic: flow-matching MSE between its velocity on the noised (detached) student sample and ``eps - x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wpmodel.distill.context import ScoreWindow
from wpmodel.dit.flow import add_noise, shift_time, velocity_target


def dmd_timestep(
    generator: torch.Generator, shift: float = 3.0, clamp: tuple[float, float] = (0.02, 0.98)
) -> Tensor:
    """One flow time [1] float32: uniform in ``clamp``, shifted, clamped back into ``clamp``."""
    lo, hi = clamp
    u = lo + (hi - lo) * torch.rand(1, generator=generator, dtype=torch.float64)
    return shift_time(u, shift).clamp(lo, hi).float()


def cfg_velocity(cond: Tensor, uncond: Tensor, guidance: float) -> Tensor:
    """Classifier-free guidance as the reference writes it: cond + g (cond - uncond)."""
    return cond + guidance * (cond - uncond)


def dmd_direction(x: Tensor, real_x0: Tensor, fake_x0: Tensor) -> Tensor:
    """``(fake_x0 - real_x0) / mean|x - real_x0|`` per sample (dims after the first), NaNs zeroed; float64."""
    x, real_x0, fake_x0 = x.double(), real_x0.double(), fake_x0.double()
    norm = (x - real_x0).abs().mean(dim=tuple(range(1, x.ndim)), keepdim=True)
    return torch.nan_to_num((fake_x0 - real_x0) / norm)


def dmd_loss(x: Tensor, real_x0: Tensor, fake_x0: Tensor) -> Tensor:
    """``0.5 * MSE(x, stopgrad(x - grad))``: differentiable in x only."""
    grad = dmd_direction(x.detach(), real_x0.detach(), fake_x0.detach())
    return 0.5 * F.mse_loss(x.double(), (x.double() - grad).detach())


@dataclass
class DMDOutput:
    loss: Tensor  # [] float64, differentiable in the student's sample
    grad_norm: float  # RMS of the DMD direction (a health signal)
    t: float


def generator_loss(
    x: Tensor,  # [1, m, C, h, w] the student's rolled-out chunks (with gradients)
    window: ScoreWindow,
    teacher: nn.Module,
    critic: nn.Module,
    t: Tensor,  # [1]
    eps: Tensor,  # [1, m, C, h, w]
    guidance: float = 3.0,
) -> DMDOutput:
    """The DMD generator loss of one rollout scored with ``window``'s context."""
    with torch.no_grad():
        x_t = add_noise(x.detach(), eps, t.expand(x.shape[:2]))
        tb = t.to(x_t.device).reshape(1, 1, 1, 1, 1)
        cond, uncond = teacher_velocities(teacher, window, x_t, t)
        real_x0 = x_t - tb * cfg_velocity(cond, uncond, guidance)
        fake_x0 = x_t - tb * window.velocity(critic, x_t, t)
        direction = dmd_direction(x.detach(), real_x0, fake_x0)
    loss = dmd_loss(x, real_x0, fake_x0)
    return DMDOutput(loss, float(direction.pow(2).mean().sqrt()), float(t))


def teacher_velocities(
    teacher: nn.Module, window: ScoreWindow, x_t: Tensor, t: Tensor
) -> tuple[Tensor, Tensor]:
    """(conditional, unconditional) teacher velocities [1, m, C, h, w] each, in one batched forward."""
    both = window.velocity(teacher, x_t, t, [window.caption, torch.zeros_like(window.caption)])
    return both[:1], both[1:]


def critic_loss(
    critic: nn.Module,
    window: ScoreWindow,
    x: Tensor,  # [1, m, C, h, w] student sample (detached)
    t: Tensor,  # [1]
    eps: Tensor,  # [1, m, C, h, w]
) -> Tensor:
    """Flow-matching loss of the critic on the noised student sample (context clean, as the teacher's)."""
    x = x.detach()
    x_t = add_noise(x, eps, t.expand(x.shape[:2]))
    pred = window.velocity(critic, x_t, t)
    return (pred.float() - velocity_target(x, eps).float()).pow(2).mean()
