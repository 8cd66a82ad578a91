"""The public entry: render 3D Gaussians from one camera, gsplat on CUDA, the own tile rasterizer on CPU.

Both paths take the same arguments and return the same ``RasterOutput``; everything is differentiable
with respect to means, quats, scales, opacities and colours. ``depth`` is the expected depth
``sum_i w_i z_i / max(alpha, 1e-10)`` (gsplat's "ED"); the background is blended into ``rgb`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .project import camera_position, project_gaussians
from .raster_tiles import rasterize_tiles
from .sh import sh_to_rgb


@dataclass
class RasterOutput:
    """One rendered view."""

    rgb: torch.Tensor  # [H, W, 3]
    alpha: torch.Tensor  # [H, W, 1] accumulated opacity
    depth: torch.Tensor  # [H, W, 1] expected camera z of the visible Gaussians (0 where alpha is 0)
    radii: torch.Tensor  # [N, 2] int32 pixel half extents, 0 = not rendered
    means2d: torch.Tensor  # [N, 2] projected centres; [1, N, 2] on CUDA (gsplat's tensor). In the graph:
    # ``retain_grad`` before backward gives the screen-space gradients densification needs


def _sh_degree(colors: torch.Tensor, sh_degree: int | None) -> int | None:
    """The SH degree to evaluate, or None for plain colours [N, 3]."""
    if colors.dim() == 2:
        if sh_degree is not None:
            raise ValueError("sh_degree given but colors are [N, 3]; pass SH coefficients [N, K, 3]")
        return None
    return sh_degree if sh_degree is not None else math.isqrt(colors.shape[1]) - 1


def _rasterize_gsplat(
    means, quats, scales, opacities, colors, viewmat, K, width, height, degree, background, tile_size
):
    """gsplat.rasterization for one camera (CUDA)."""
    from gsplat import rasterization

    img, alpha, meta = rasterization(
        means, quats, scales, opacities, colors, viewmat[None], K[None], width, height,
        sh_degree=degree, backgrounds=None if background is None else background[None],
        render_mode="RGB+ED", packed=False, tile_size=tile_size,
    )  # fmt: skip
    # gsplat's own [1, N, 2] means2d: a slice of it would not be upstream of the image, so its
    # ``retain_grad`` would give no screen-space gradient for densification
    return RasterOutput(img[0, ..., :3], alpha[0], img[0, ..., 3:], meta["radii"][0], meta["means2d"])


def rasterize(
    means: torch.Tensor,  # [N, 3]
    quats: torch.Tensor,  # [N, 4] wxyz
    scales: torch.Tensor,  # [N, 3] linear
    opacities: torch.Tensor,  # [N] in [0, 1]
    colors: torch.Tensor,  # [N, 3] RGB or [N, K, 3] SH coefficients
    viewmat: torch.Tensor,  # [4, 4] world-to-camera, OpenCV
    K: torch.Tensor,  # [3, 3] pixel intrinsics
    width: int,
    height: int,
    sh_degree: int | None = None,
    background: torch.Tensor | None = None,  # [3]
    tile_size: int = 8,
) -> RasterOutput:
    """Render one view: gsplat.rasterization when the tensors are on CUDA, the own tile rasterizer on CPU."""
    degree = _sh_degree(colors, sh_degree)
    if means.is_cuda:
        return _rasterize_gsplat(
            means, quats, scales, opacities, colors, viewmat, K, width, height, degree, background, tile_size
        )
    proj = project_gaussians(means, quats, scales, viewmat, K, width, height, opacities=opacities)
    rgb = colors if degree is None else sh_to_rgb(colors, means, camera_position(viewmat), degree)  # [N, 3]
    feats = torch.cat([rgb, proj.depths[:, None]], 1)  # [N, 4]
    img, alpha = rasterize_tiles(
        proj.means2d, proj.conics, opacities, feats, proj.depths, proj.radii, width, height, tile_size
    )  # [H, W, 4], [H, W, 1]
    color = img[..., :3]
    if background is not None:
        color = color + background * (1.0 - alpha)
    depth = img[..., 3:] / alpha.clamp(min=1e-10)
    return RasterOutput(color, alpha, depth, proj.radii, proj.means2d)
