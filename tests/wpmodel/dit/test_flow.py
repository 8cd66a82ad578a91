"""Flow matching: per-chunk shifted logit-normal timesteps, noising, loss weighting, Euler sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from wpmodel.dit.flow import (
    add_noise,
    euler_sample,
    flow_loss,
    sample_chunk_timesteps,
    shift_time,
    time_grid,
    velocity_target,
)


def test_timesteps_identical_within_a_chunk_and_differ_between():
    g = torch.Generator().manual_seed(0)
    t = sample_chunk_timesteps(64, 10, 4, g)  # chunks [0:4], [4:8], [8:10]
    assert t.shape == (64, 10) and t.dtype == torch.float32
    for a, b in ((0, 4), (4, 8), (8, 10)):
        assert torch.equal(t[:, a:b], t[:, a : a + 1].expand(-1, b - a))
    assert (t[:, 0] != t[:, 4]).float().mean() > 0.99
    assert ((t > 0) & (t < 1)).all()


def _shifted_logit_normal_cdf(x: np.ndarray, shift: float) -> np.ndarray:
    s = x / (shift - (shift - 1) * x)  # invert s' = shift s / (1 + (shift - 1) s)
    return stats.norm.cdf(np.log(s / (1 - s)))


@pytest.mark.parametrize("shift", [1.0, 3.0])
def test_timesteps_follow_the_shifted_logit_normal(shift):
    g = torch.Generator().manual_seed(1)
    t = (
        sample_chunk_timesteps(4000, 20, 4, g, shift=shift)[:, ::4].flatten().double().numpy()
    )  # one per chunk
    ks = stats.kstest(t, lambda x: _shifted_logit_normal_cdf(x, shift))
    assert ks.statistic < 0.01, ks
    other = 1.0 if shift == 3.0 else 3.0
    assert stats.kstest(t, lambda x: _shifted_logit_normal_cdf(x, other)).statistic > 0.1


def test_shift_pushes_mass_to_noise_and_is_deterministic():
    a = sample_chunk_timesteps(2000, 4, 4, torch.Generator().manual_seed(2), shift=3.0)
    b = sample_chunk_timesteps(2000, 4, 4, torch.Generator().manual_seed(2), shift=3.0)
    assert torch.equal(a, b)
    assert abs(float(a.median()) - shift_time(0.5, 3.0)) < 0.02  # median of logit-normal(0,1) is 0.5 -> 0.75


def test_add_noise_and_velocity_target():
    g = torch.Generator().manual_seed(3)
    x0, eps = torch.randn(2, 3, 4, 2, 2, generator=g), torch.randn(2, 3, 4, 2, 2, generator=g)
    t = torch.tensor([[0.0, 0.5, 1.0], [0.25, 0.25, 0.75]])
    xt = add_noise(x0, eps, t)
    assert torch.equal(xt[0, 0], x0[0, 0]) and torch.equal(xt[0, 2], eps[0, 2])
    assert torch.allclose(xt[1, 2], 0.25 * x0[1, 2] + 0.75 * eps[1, 2])
    dt = 1e-3  # the target is the time derivative of x_t
    fd = (add_noise(x0, eps, t + dt) - add_noise(x0, eps, t)) / dt
    assert torch.allclose(fd, velocity_target(x0, eps), atol=1e-3)


def test_flow_loss_weights_frames():
    pred = torch.zeros(1, 4, 2, 2, 2)
    target = torch.zeros(1, 4, 2, 2, 2)
    target[:, 3] = 2.0  # only the last frame is wrong, by 2 -> squared error 4
    assert flow_loss(pred, target).item() == pytest.approx(1.0)
    assert flow_loss(pred, target, torch.tensor([[0.0, 0, 0, 1]])).item() == pytest.approx(4.0)
    assert flow_loss(pred, target, torch.tensor([[1.0, 1, 1, 0]])).item() == 0.0
    with pytest.raises(ValueError, match="weight_mask"):
        flow_loss(pred, target, torch.ones(1, 3))


def test_euler_sample_with_exact_velocity_recovers_data():
    """With the true velocity of a straight path (eps - x0), Euler is exact: x_T = eps lands on x0."""
    g = torch.Generator().manual_seed(4)
    x0, eps = torch.randn(2, 4, 3, 2, 2, generator=g), torch.randn(2, 4, 3, 2, 2, generator=g)
    seen = []

    def model_fn(x, t):
        seen.append(float(t[0, 0]))
        assert torch.allclose(x, add_noise(x0, eps, t), atol=1e-5)  # on the path at the stated time
        return velocity_target(x0, eps)

    out = euler_sample(model_fn, eps, steps=5, shift=3.0)
    assert torch.allclose(out, x0, atol=1e-5)
    assert seen == pytest.approx(time_grid(5, 3.0)[:-1].tolist())
    assert seen[0] == 1.0 and seen[1] > 0.8  # shift 3 spends more steps near noise
