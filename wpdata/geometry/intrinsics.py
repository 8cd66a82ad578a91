"""Pixel intrinsics K [3, 3] helpers (the project keeps K in pixels together with (width, height))."""

from __future__ import annotations

import math

import numpy as np


def make_K(fx: float, fy: float, cx: float, cy: float) -> np.ndarray:
    """Pixel intrinsic matrix [3, 3] float64."""
    for name, v in (("fx", fx), ("fy", fy), ("cx", cx), ("cy", cy)):
        if not math.isfinite(float(v)):
            raise ValueError(f"make_K: {name} is not finite ({v})")
    if fx <= 0 or fy <= 0:
        raise ValueError(f"make_K: focal lengths must be positive, got fx={fx}, fy={fy}")
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]], dtype=np.float64)


def scale_K(K: np.ndarray, sx: float, sy: float | None = None) -> np.ndarray:
    """K for an image resized by (sx, sy) (new_size = old_size * s): rows 0 and 1 scaled.

    Uses the pixel-edge convention (an image of width W spans [0, W]), which is what resizing
    by a factor does to fx and cx alike. Works on [3, 3] or batched [..., 3, 3].
    """
    sy = sx if sy is None else sy
    K = np.array(K, dtype=np.float64)
    if K.shape[-2:] != (3, 3):
        raise ValueError(f"scale_K: K must have trailing shape (3, 3), got {K.shape}")
    K[..., 0, :] *= sx
    K[..., 1, :] *= sy
    return K


def focal_from_fov(fov_rad: float, size_px: float) -> float:
    """Focal length in pixels from a full field of view (radians) across `size_px` pixels."""
    if not 0.0 < fov_rad < math.pi:
        raise ValueError(f"field of view must be in (0, pi) radians, got {fov_rad}")
    return 0.5 * size_px / math.tan(0.5 * fov_rad)


def K_params(K: np.ndarray) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) of a pixel K [3, 3]."""
    K = np.asarray(K, dtype=np.float64)
    return float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2])
