"""Focal length of a camera from the fundamental matrices of many pairs of views that moved.

For a pair with enough parallax, F relates the matches (x2^T F x1 = 0) whatever the intrinsics, and
E = K^T F K is an essential matrix (two equal singular values, one zero) only at the right K. With the
principal point at the image centre and square pixels, K has one unknown, f: each pair's estimate is
the f minimising the singular-value gap (s1 - s2) / (s1 + s2) of K^T F K (Mendonca-Cipolla
self-calibration; a log-spaced grid, then scipy's bounded scalar search), and the focal is the median
over the pairs. A pair whose matches one homography explains (a turn without translation, a plane) has
no well-defined F and is left out; `wpdata.poses.focal` covers turns.

Why own code: COLMAP calibrates the focal inside bundle adjustment, which settled 3-26% off on the
synthetic loops and low-texture walks of `benchmarks/pose_accuracy.py`, while the median of these
per-pair estimates came within 3% there. Neither COLMAP nor OpenCV offers a focal from F with a known
principal point (OpenCV's `calibrateCamera` needs a target).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.optimize import minimize_scalar

from wpdata.poses.focal import seeded_pairs

__all__ = ["focal_from_fundamental", "focal_from_two_views", "two_view_focals"]

MIN_MATCHES = 30  # F inliers a pair needs
MAX_H_RATIO = 0.8  # homography inliers / F inliers above this: F ill-defined (turn, plane), pair left out
MIN_PAIRS = 5  # pairs needed for an estimate
F_THRESHOLD = 1.0  # px, RANSAC threshold of F


def _gap(F: np.ndarray, f: float, c: tuple[float, float]) -> float:
    """(s1 - s2) / (s1 + s2) of K^T F K: 0 for an essential matrix."""
    K = np.array([[f, 0.0, c[0]], [0.0, f, c[1]], [0.0, 0.0, 1.0]])
    s = np.linalg.svd(K.T @ F @ K, compute_uv=False)
    return float((s[0] - s[1]) / (s[0] + s[1])) if s[0] > 0 else 1.0


def focal_from_fundamental(F: np.ndarray, c: tuple[float, float], size: float) -> tuple[float, float]:
    """(f, gap) making K^T F K closest to an essential matrix; f searched in [0.3, 3] * size.

    F [3, 3]: x2^T F x1 = 0 for pixels x1 of view 1, x2 of view 2; c: principal point (px); size: the
    image's longer side (px).
    """
    grid = size * np.exp(np.linspace(np.log(0.3), np.log(3.0), 100))  # [100]
    cost = np.array([_gap(F, f, c) for f in grid])
    k = int(cost.argmin())
    lo, hi = np.log(grid[max(k - 1, 0)]), np.log(grid[min(k + 1, len(grid) - 1)])
    r = minimize_scalar(lambda lf: _gap(F, float(np.exp(lf)), c), bounds=(lo, hi), method="bounded")
    return float(np.exp(r.x)), float(r.fun)


def two_view_focals(
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]], width: int, height: int
) -> dict[tuple[int, int], float]:
    """(i, j) -> focal (px) of the pairs with a well-defined F (enough matches, not one homography).

    pairs: (i, j) -> matched pixels (x_i [M, 2], x_j [M, 2]) of images of size width x height whose
    principal point is taken at the centre.
    """
    c, size = (width / 2.0, height / 2.0), float(max(width, height))
    out = {}
    for ij, x1, x2 in seeded_pairs(pairs, MIN_MATCHES):
        x1 = np.asarray(x1, dtype=np.float64)
        x2 = np.asarray(x2, dtype=np.float64)
        F, f_in = cv2.findFundamentalMat(x1, x2, cv2.FM_RANSAC, F_THRESHOLD, 0.999, 5000)
        if F is None or F.shape != (3, 3) or f_in is None or f_in.sum() < MIN_MATCHES:
            continue
        _, h_in = cv2.findHomography(x1, x2, cv2.RANSAC, 1.5, maxIters=2000, confidence=0.999)
        if h_in is not None and h_in.sum() > MAX_H_RATIO * f_in.sum():
            continue
        out[ij] = focal_from_fundamental(F, c, size)[0]
    return out


def focal_from_two_views(focals: dict[tuple[int, int], float]) -> tuple[float | None, int]:
    """(median focal over the pairs, or None when fewer than `MIN_PAIRS`; pairs used) from `two_view_focals`."""
    fs = list(focals.values())
    return (float(np.median(fs)) if len(fs) >= MIN_PAIRS else None), len(fs)
