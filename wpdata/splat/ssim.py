"""Differentiable SSIM (Wang et al. 2004): 11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03.

Written in torch (separable conv2d) because the loss needs gradients and runs on CPU and CUDA alike;
``padding="valid"`` averages only windows fully inside the image, ``"same"`` zero-pads as 3DGS does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 1-D Gaussian [size] (float64; cast by the caller)."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(
    a: torch.Tensor, b: torch.Tensor, size: int = 11, sigma: float = 1.5, padding: str = "valid"
) -> torch.Tensor:
    """Mean SSIM of images ``a``, ``b`` [B, C, H, W] (or [H, W, C]) in [0, 1]; a scalar tensor."""
    if a.dim() == 3:
        a, b = a.permute(2, 0, 1)[None], b.permute(2, 0, 1)[None]
    C = a.shape[1]
    g = gaussian_window(size, sigma).to(a)
    wx = g.view(1, 1, 1, size).repeat(C, 1, 1, 1)  # [C, 1, 1, size]
    wy = g.view(1, 1, size, 1).repeat(C, 1, 1, 1)  # [C, 1, size, 1]
    pad = size // 2 if padding == "same" else 0

    x = torch.cat([a, b, a * a, b * b, a * b], 1)  # [B, 5C, H, W]: one pass for all five moments
    wx, wy = wx.repeat(5, 1, 1, 1), wy.repeat(5, 1, 1, 1)
    C5 = 5 * C
    m = F.conv2d(F.conv2d(x, wx, padding=(0, pad), groups=C5), wy, padding=(pad, 0), groups=C5)
    mu_a, mu_b, e_aa, e_bb, e_ab = m.split(C, 1)
    var_a, var_b, cov = e_aa - mu_a**2, e_bb - mu_b**2, e_ab - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.mean()
