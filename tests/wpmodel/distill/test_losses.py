"""DMD generator loss (its gradient is the DMD direction, CFG on the teacher) and the critic's loss."""

from __future__ import annotations

import torch

from wpmodel.distill.context import aligned_segments, score_window
from wpmodel.distill.losses import critic_loss, dmd_loss, dmd_timestep, generator_loss
from wpmodel.distill.rollout import student_rollout


def test_dmd_loss_gradient_is_the_normalised_score_difference():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 2, 2, 2, generator=g, requires_grad=True)
    real, fake = torch.randn(2, 3, 2, 2, 2, generator=g), torch.randn(2, 3, 2, 2, 2, generator=g)
    dmd_loss(x, real, fake).backward()
    norm = (x.detach() - real).abs().flatten(1).mean(1).reshape(2, 1, 1, 1, 1)  # per sample
    expected = (fake - real) / norm / x.numel()
    assert torch.allclose(x.grad, expected.float(), atol=1e-7)
    # a finite difference along a random direction agrees (the loss's stop-gradient target held fixed)
    d = torch.randn(x.shape, generator=g)
    target = x.detach().double() - (fake - real).double() / norm.double()
    f = lambda z: 0.5 * ((z.double() - target) ** 2).mean()  # noqa: E731
    fd = (f(x.detach() + 1e-4 * d) - f(x.detach() - 1e-4 * d)) / 2e-4
    assert torch.allclose(fd, (x.grad * d).sum().double(), rtol=1e-4)


def test_generator_loss_uses_cfg_teacher_and_critic(kit):
    teacher, critic, student = kit.tiny_dit(1), kit.tiny_dit(2), kit.tiny_dit(0)
    clip = kit.make_clip()
    ro = student_rollout(student, clip, 16, 2, [1, 3], torch.Generator().manual_seed(0))
    window = score_window(clip, aligned_segments(ro.plans, ro.time_indices), ro.latent_ids, 4)
    x = ro.latents.detach().clone().requires_grad_(True)
    t = torch.tensor([0.6])
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    out = generator_loss(x, window, teacher, critic, t, eps, guidance=3.0)
    out.loss.backward()
    # reference, computed separately: one forward per caption, CFG by hand, x0 = x_t - t v
    x_t = (1 - 0.6) * x.detach() + 0.6 * eps
    with torch.no_grad():
        cond = window.velocity(teacher, x_t, t)
        uncond = window.velocity(teacher, x_t, t, [torch.zeros_like(clip.caption)])
        real = x_t - 0.6 * (cond + 3.0 * (cond - uncond))
        fake = x_t - 0.6 * window.velocity(critic, x_t, t)
    assert not torch.allclose(cond, uncond)  # the caption matters: CFG is not a no-op
    expected = (fake - real) / (x.detach() - real).abs().mean() / x.numel()
    assert torch.allclose(x.grad, expected, atol=1e-6, rtol=1e-4)


def test_dmd_timesteps_are_shifted_and_clamped():
    g = torch.Generator().manual_seed(0)
    ts = torch.cat([dmd_timestep(g, 3.0, (0.02, 0.98)) for _ in range(2000)])
    assert ts.min() >= 0.02 and ts.max() <= 0.98
    assert ts.median() > 0.6  # shift 3 pushes mass to noise (unshifted median 0.5 -> 0.75)


def test_critic_loss_decreases_on_a_fixed_batch(kit):
    critic, student, clip = kit.tiny_dit(2), kit.tiny_dit(0), kit.make_clip()
    with torch.no_grad():
        ro = student_rollout(student, clip, 16, 2, [3, 3], torch.Generator().manual_seed(0))
    window = score_window(clip, aligned_segments(ro.plans, ro.time_indices), ro.latent_ids, 4)
    g = torch.Generator().manual_seed(4)
    t, eps = torch.tensor([0.5]), torch.randn(ro.latents.shape, generator=g)
    opt = torch.optim.AdamW(critic.parameters(), lr=3e-3, betas=(0.0, 0.999))
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = critic_loss(critic, window, ro.latents, t, eps)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses
    assert all(p.grad is None for p in student.parameters())  # the sample is detached
