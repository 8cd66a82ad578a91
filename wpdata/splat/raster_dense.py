"""The dense reference compositor: every Gaussian at every pixel, depth sorted, plain autograd.

Same alpha rules as gsplat's CUDA kernel (alpha = min(0.999, o exp(-sigma)), skip sigma < 0 or
alpha < 1/255, stop before the Gaussian that takes transmittance to 1e-4 or below). It exists to
check the tile rasterizer (tests, ``benchmarks/splat_raster_speed.py``); pixels are processed in
checkpointed chunks so that its memory stays bounded while its gradients remain autograd's.
"""

from __future__ import annotations

import torch
from torch.utils.checkpoint import checkpoint

from .project import ALPHA_THRESHOLD

T_MIN = 1e-4  # gsplat: a pixel is done once transmittance would fall to this


def _composite_pixels(
    pix: torch.Tensor,  # [P, 2] pixel centres
    means2d: torch.Tensor,  # [M, 2] depth sorted
    conics: torch.Tensor,  # [M, 3]
    opacities: torch.Tensor,  # [M]
    feats: torch.Tensor,  # [M, F]
) -> torch.Tensor:
    """Composited [P, F + 1] (features then alpha) of depth-sorted Gaussians at pixel centres."""
    dx = means2d[None, :, 0] - pix[:, None, 0]  # [P, M] mean minus pixel centre
    dy = means2d[None, :, 1] - pix[:, None, 1]  # [P, M]
    a, b, c = conics[:, 0], conics[:, 1], conics[:, 2]
    sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy  # [P, M]
    # exp(-50) makes alpha < 1/255 (skipped) just as a larger sigma would, and keeps torch's exp on its
    # fast path (it is ~10x slower far outside the normal range, where most dense pairs would be)
    alpha = torch.clamp_max(opacities * torch.exp(-sigma.clamp(max=50.0)), 0.999)
    alpha = torch.where((sigma >= 0) & (alpha >= ALPHA_THRESHOLD), alpha, torch.zeros_like(alpha))
    one_minus = 1.0 - alpha
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), one_minus[:, :-1]], 1), 1)  # [P, M]
    live = (trans * one_minus > T_MIN).to(alpha.dtype).detach()
    w = alpha * trans * live  # [P, M]
    return torch.cat([w @ feats, w.sum(1, keepdim=True)], 1)


def rasterize_dense(
    means2d: torch.Tensor,  # [N, 2]
    conics: torch.Tensor,  # [N, 3]
    opacities: torch.Tensor,  # [N]
    feats: torch.Tensor,  # [N, F] colours (and depth) to composite
    depths: torch.Tensor,  # [N] sort key
    visible: torch.Tensor,  # [N] bool, e.g. (radii > 0).all(-1)
    width: int,
    height: int,
    pixel_chunk: int = 1024,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Composited features [H, W, F] and alpha [H, W, 1]; each pixel sees every visible Gaussian."""
    idx = torch.nonzero(visible).squeeze(1)
    idx = idx[torch.argsort(depths.detach()[idx], stable=True)]  # [M] front to back
    m2, co, op, fe = means2d[idx], conics[idx], opacities[idx], feats[idx]
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=means2d.dtype), torch.arange(width, dtype=means2d.dtype), indexing="ij"
    )
    pix = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).to(means2d.device) + 0.5  # [H*W, 2]
    outs = []
    for s in range(0, pix.shape[0], pixel_chunk):
        chunk = pix[s : s + pixel_chunk]
        if torch.is_grad_enabled():
            outs.append(checkpoint(_composite_pixels, chunk, m2, co, op, fe, use_reentrant=False))
        else:
            outs.append(_composite_pixels(chunk, m2, co, op, fe))
    out = torch.cat(outs, 0).reshape(height, width, -1)  # [H, W, F + 1]
    return out[..., :-1], out[..., -1:]
