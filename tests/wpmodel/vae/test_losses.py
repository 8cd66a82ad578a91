from __future__ import annotations

import torch

from wpmodel.vae import DiagonalGaussian, ssim, vae_loss


def test_ssim_identity_and_noise() -> None:
    torch.manual_seed(0)
    x = torch.rand(1, 3, 2, 32, 32) * 2 - 1
    assert abs(ssim(x, x).item() - 1.0) < 1e-5
    noisy = (x + 0.5 * torch.randn_like(x)).clamp(-1, 1)
    assert ssim(x, noisy).item() < 0.6


def test_vae_loss_parts() -> None:
    torch.manual_seed(1)
    video = torch.rand(2, 3, 5, 16, 16) * 2 - 1
    recon = video + 0.1
    post = DiagonalGaussian(torch.ones(2, 4, 2, 2, 2), torch.zeros(2, 4, 2, 2, 2))  # KL = 0.5 per element
    out = vae_loss(recon, video, post, kl_weight=0.5, ssim_weight=0.0)
    kl_expected = 0.5 * 32 / video[0].numel()
    torch.testing.assert_close(out.l1, torch.tensor(0.1))
    torch.testing.assert_close(out.kl, torch.tensor(kl_expected))
    torch.testing.assert_close(out.total, torch.tensor(0.1 + 0.5 * kl_expected))
    with_ssim = vae_loss(recon, video, post, kl_weight=0.5, ssim_weight=1.0)
    torch.testing.assert_close(with_ssim.total, out.total + (1 - with_ssim.ssim))
