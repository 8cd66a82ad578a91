"""Render Gaussians from a camera and score views: PSNR and SSIM (held-out views in `reconstruct`)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .gaussians import activated
from .rasterize import rasterize
from .ssim import ssim


def render_view(
    params: torch.nn.ParameterDict,
    c2w: np.ndarray,
    K: np.ndarray,
    width: int,
    height: int,
    sh_degree: int,
    background: torch.Tensor | None = None,
    tile_size: int = 8,
):
    """RasterOutput of the Gaussians seen from OpenCV ``c2w`` [4, 4] with pixel ``K`` [3, 3]."""
    dev = params["means"].device
    g = activated(params)
    viewmat = torch.as_tensor(np.linalg.inv(c2w), dtype=torch.float32, device=dev)  # [4, 4] w2c
    Kt = torch.as_tensor(K, dtype=torch.float32, device=dev)  # [3, 3]
    return rasterize(
        g["means"], g["quats"], g["scales"], g["opacities"], g["sh"], viewmat, Kt, int(width), int(height),
        sh_degree=sh_degree, background=background, tile_size=tile_size,
    )  # fmt: skip


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR in dB of images in [0, 1]."""
    mse = float(torch.mean((pred.clamp(0, 1) - target) ** 2))
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))


@torch.no_grad()
def evaluate_views(
    params: torch.nn.ParameterDict,
    c2w: np.ndarray,
    K: np.ndarray,
    widths: np.ndarray,
    heights: np.ndarray,
    images: list[torch.Tensor],
    sh_degree: int,
    background: torch.Tensor | None = None,
    tile_size: int = 8,
) -> dict[str, float]:
    """Mean PSNR / SSIM over views (``images`` [H, W, 3] float in [0, 1], one per camera)."""
    ps, ss = [], []
    for i, img in enumerate(images):
        out = render_view(params, c2w[i], K[i], widths[i], heights[i], sh_degree, background, tile_size)
        pred = out.rgb.clamp(0, 1)  # [H, W, 3]
        ps.append(psnr(pred, img))
        ss.append(float(ssim(pred, img)))
    return {
        "psnr": float(np.mean(ps)) if ps else float("nan"),
        "ssim": float(np.mean(ss)) if ss else float("nan"),
    }
