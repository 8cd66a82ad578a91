"""VAE training losses: L1 reconstruction, optional SSIM term, KL to N(0, I) with a weight.

SSIM is written here (11x11 Gaussian window, sigma 1.5, the constants of Wang et al. 2004, valid
convolution as pytorch-msssim does) because no installed dependency provides a differentiable one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from wpmodel.vae.posterior import DiagonalGaussian


@dataclass
class VAELoss:
    """The total to backpropagate and its parts (detached floats for logging come from ``.item()``)."""

    total: Tensor
    l1: Tensor
    ssim: Tensor
    kl: Tensor


def _gaussian_window(size: int, sigma: float, device: torch.device, dtype: torch.dtype) -> Tensor:
    x = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]  # [size, size]


def ssim(x: Tensor, y: Tensor, data_range: float = 2.0, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Mean SSIM of video ``x`` vs ``y`` [B, C, T, H, W], frame by frame (a scalar in [-1, 1])."""
    if x.shape != y.shape:
        raise ValueError(f"ssim: shapes differ {tuple(x.shape)} vs {tuple(y.shape)}")
    b, c, t, h, w = x.shape
    window = min(window, h, w)
    x2 = x.float().transpose(1, 2).reshape(b * t, c, h, w)
    y2 = y.float().transpose(1, 2).reshape(b * t, c, h, w)
    k = _gaussian_window(window, sigma, x2.device, x2.dtype).expand(c, 1, window, window)

    def blur(z: Tensor) -> Tensor:
        return F.conv2d(z, k, groups=c)

    mx, my = blur(x2), blur(y2)
    sxx, syy, sxy = blur(x2 * x2) - mx**2, blur(y2 * y2) - my**2, blur(x2 * y2) - mx * my
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx**2 + my**2 + c1) * (sxx + syy + c2))
    return s.mean()


def kl_per_element(posterior: DiagonalGaussian, num_elements: int) -> Tensor:
    """KL summed per sample, averaged over the batch, divided by ``num_elements`` (the video's
    elements per sample): on the scale of a per-pixel mean loss, so weights read as in LDM (1e-6)."""
    return posterior.kl().mean() / num_elements


def vae_loss(
    recon: Tensor,
    video: Tensor,
    posterior: DiagonalGaussian,
    kl_weight: float = 1e-6,
    ssim_weight: float = 0.0,
) -> VAELoss:
    """total = mean |recon - video| + ssim_weight * (1 - SSIM) + kl_weight * KL (per video element)."""
    l1 = (recon.float() - video.float()).abs().mean()
    s = ssim(recon, video) if ssim_weight > 0 else torch.zeros((), device=recon.device)
    kl = kl_per_element(posterior, video[0].numel())
    total = l1 + ssim_weight * (1.0 - s) + kl_weight * kl
    return VAELoss(total=total, l1=l1.detach(), ssim=s.detach(), kl=kl.detach())
