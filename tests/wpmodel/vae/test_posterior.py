from __future__ import annotations

import torch
from torch.distributions import Normal, kl_divergence

from wpmodel.vae import DiagonalGaussian


def test_kl_matches_torch_distributions() -> None:
    torch.manual_seed(0)
    mean, logvar = torch.randn(3, 4, 2, 5, 5), torch.randn(3, 4, 2, 5, 5)
    post = DiagonalGaussian(mean, logvar)
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).flatten(1).sum(1)
    torch.testing.assert_close(post.kl(), expected)
    assert post.kl().shape == (3,)


def test_kl_zero_for_standard_normal_and_mode_is_mean() -> None:
    post = DiagonalGaussian(torch.zeros(2, 4, 1, 2, 2), torch.zeros(2, 4, 1, 2, 2))
    assert torch.equal(post.kl(), torch.zeros(2))
    assert post.mode() is post.mean


def test_sample_statistics_and_generator() -> None:
    mean, logvar = (
        torch.full((1, 2, 1, 200, 200), 1.5),
        torch.full((1, 2, 1, 200, 200), 2 * torch.log(torch.tensor(0.5))),
    )
    post = DiagonalGaussian(mean, logvar)
    s = post.sample(torch.Generator().manual_seed(0))
    assert abs(s.mean().item() - 1.5) < 0.01 and abs(s.std().item() - 0.5) < 0.01
    assert torch.equal(s, post.sample(torch.Generator().manual_seed(0)))


def test_logvar_clamped_and_moments_split() -> None:
    post = DiagonalGaussian.from_moments(
        torch.cat([torch.zeros(1, 2, 1, 1, 1), torch.full((1, 2, 1, 1, 1), 99.0)], 1)
    )
    assert post.mean.shape == (1, 2, 1, 1, 1)
    assert post.logvar.max().item() == 20.0
