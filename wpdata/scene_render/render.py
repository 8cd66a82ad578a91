"""Render RGB, alpha and depth along a trajectory with a caller-supplied per-view renderer.

The renderer (``render_fn(c2w [4, 4], K [3, 3], width, height) -> (rgb float [H, W, 3] in [0, 1],
alpha [H, W], depth [H, W])``) is the scene's: a Gaussian-splat rasterizer, or any stand-in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["RenderFn", "render_trajectory"]

RenderFn = Callable[[np.ndarray, np.ndarray, int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


def render_trajectory(
    render_fn: RenderFn, c2w: np.ndarray, K: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render every pose of c2w [T, 4, 4]: (frames uint8 [T, H, W, 3], alpha float32 [T, H, W], depth float32 [T, H, W])."""
    c2w, K = np.asarray(c2w, np.float64), np.asarray(K, np.float64)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or K.shape != (3, 3):
        raise ValueError(f"need c2w [T, 4, 4] and K [3, 3], got {list(c2w.shape)} and {list(K.shape)}")
    frames = np.empty((len(c2w), height, width, 3), np.uint8)
    alpha = np.empty((len(c2w), height, width), np.float32)
    depth = np.empty((len(c2w), height, width), np.float32)
    for i, pose in enumerate(c2w):
        rgb, a, d = render_fn(pose, K, width, height)
        rgb = np.asarray(rgb, np.float32)
        if rgb.shape != (height, width, 3):
            raise ValueError(f"render_fn returned rgb {list(rgb.shape)} for a {width}x{height} view")
        frames[i] = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
        alpha[i], depth[i] = a, d
    return frames, alpha, depth
