"""A ``RenderFn`` over a reconstructed scene: its 3DGS ``.ply`` rendered with wpdata.splat.

gsplat on CUDA, the project's tile rasterizer on CPU (``wpdata.splat.rasterize`` picks by device).
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from wpdata.scene_render.render import RenderFn
from wpdata.splat.evaluate import render_view
from wpdata.splat.ply import read_ply

__all__ = ["splat_render_fn"]


def splat_render_fn(
    ply_path: str | os.PathLike,
    device: str = "auto",
    background: tuple[float, float, float] | None = None,
    tile_size: int = 8,
) -> RenderFn:
    """``render_fn(c2w, K, width, height) -> (rgb [H, W, 3] in [0, 1], alpha [H, W], depth [H, W])``."""
    dev = torch.device(
        "cuda" if device == "auto" and torch.cuda.is_available() else "cpu" if device == "auto" else device
    )
    raw = read_ply(ply_path)
    params = {
        k: torch.as_tensor(np.ascontiguousarray(v), dtype=torch.float32, device=dev) for k, v in raw.items()
    }
    degree = math.isqrt(params["sh0"].shape[1] + params["shN"].shape[1]) - 1
    bg = None if background is None else torch.tensor(background, dtype=torch.float32, device=dev)

    @torch.no_grad()
    def render(c2w: np.ndarray, K: np.ndarray, width: int, height: int):
        out = render_view(params, c2w, K, width, height, degree, bg, tile_size)
        return (
            out.rgb.clamp(0, 1).cpu().numpy(),  # [H, W, 3]
            out.alpha[..., 0].cpu().numpy(),  # [H, W]
            out.depth[..., 0].cpu().numpy(),  # [H, W]
        )

    return render
