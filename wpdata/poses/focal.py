"""Focal length of a camera from the homographies between views where it only turned.

Matches between two views of a camera rotating about its centre obey x2 ~ H x1 with H = K R K^-1.
With the principal point at the image centre and square pixels, K has one unknown, f, and it is the
value that makes K^-1 H K a rotation up to scale: the residual ||M^T M - I|| of M = K^-1 H K / det^(1/3)
is minimised over log f (a grid, then scipy's bounded scalar search). A pair gives an estimate only
when the homography explains (nearly) all its verified matches, it turned enough to constrain f, and
the residual at the optimum is near zero; translation, or a planar scene seen while moving, leaves a
clear residual and is dropped. The median of the accepted pairs is the focal.

Why own code: COLMAP calibrates the focal inside bundle adjustment, which drifts by 5-35% when the
views lack parallax (turns on the spot, tight loops), exactly where a rotation pins f down; OpenCV's
stitching helper (`cv2.detail.focalsFromHomography`) assumes the principal point at the origin and
gives no residual to reject translating pairs by.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
from scipy.optimize import minimize_scalar

__all__ = ["focal_from_homography", "focal_from_rotations", "is_pure_rotation", "rotation_pairs"]

MIN_INLIER_FRACTION = 0.9  # homography inliers / verified matches of a pair
MIN_ANGLE_DEG = 2.0  # smaller turns hardly constrain f
MAX_RESIDUAL = 0.01  # ||M^T M - I|| at the optimum; pure rotations stay below ~0.005 here
MIN_PAIRS = 3  # accepted pairs needed for an estimate


def _residual(H: np.ndarray, f: float, c: tuple[float, float]) -> float:
    K = np.array([[f, 0.0, c[0]], [0.0, f, c[1]], [0.0, 0.0, 1.0]])
    M = np.linalg.solve(K, H @ K)  # [3, 3]
    d = np.linalg.det(M)
    if not d > 0:
        return 10.0
    M = M / np.cbrt(d)
    return float(np.linalg.norm(M.T @ M - np.eye(3)))


def focal_from_homography(H: np.ndarray, c: tuple[float, float], size: float) -> tuple[float, float, float]:
    """(f, residual, turn angle deg) that make K^-1 H K closest to a rotation; f searched in [0.2, 5] * size.

    H [3, 3] maps pixels of view 1 to view 2; c: principal point (px); size: the image's longer side (px).
    """
    grid = size * np.exp(np.linspace(np.log(0.2), np.log(5.0), 160))  # [160]
    cost = np.array([_residual(H, f, c) for f in grid])
    k = int(cost.argmin())
    lo, hi = np.log(grid[max(k - 1, 0)]), np.log(grid[min(k + 1, len(grid) - 1)])
    r = minimize_scalar(lambda lf: _residual(H, float(np.exp(lf)), c), bounds=(lo, hi), method="bounded")
    f = float(np.exp(r.x))
    K = np.array([[f, 0.0, c[0]], [0.0, f, c[1]], [0.0, 0.0, 1.0]])
    M = np.linalg.solve(K, H @ K)
    M = M / np.cbrt(np.linalg.det(M))
    angle = float(np.degrees(np.arccos(np.clip((np.trace(M) - 1.0) / 2.0, -1.0, 1.0))))
    return f, float(r.fun), angle


def seeded_pairs(
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]], min_matches: int
) -> Iterator[tuple[tuple[int, int], np.ndarray, np.ndarray]]:
    """(i, j, x_i, x_j) of the pairs with at least `min_matches` matches, in (i, j) order, after seeding
    OpenCV's RNG, so that the same matches give the same RANSAC result."""
    cv2.setRNGSeed(0)
    for ij, (x1, x2) in sorted(pairs.items()):
        if len(x1) >= min_matches:
            yield ij, x1, x2


def rotation_pairs(
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]], width: int, height: int
) -> dict[tuple[int, int], tuple[float, float, float]]:
    """(i, j) -> (f, residual, angle deg) of the pairs whose matches one homography explains.

    pairs: (i, j) -> matched pixels (x_i [M, 2], x_j [M, 2]) of images of size width x height whose
    principal point is taken at the centre.
    """
    c, size = (width / 2.0, height / 2.0), float(max(width, height))
    out = {}
    for ij, x1, x2 in seeded_pairs(pairs, 30):
        H, inl = cv2.findHomography(x1, x2, cv2.RANSAC, 1.5, maxIters=2000, confidence=0.999)
        if H is not None and inl.mean() >= MIN_INLIER_FRACTION:
            out[ij] = focal_from_homography(H, c, size)
    return out


def is_pure_rotation(stats: tuple[float, float, float] | None) -> bool:
    """Whether a pair's (f, residual, angle) from `rotation_pairs` says the camera only turned."""
    return stats is not None and stats[1] < MAX_RESIDUAL


def focal_from_rotations(
    stats: dict[tuple[int, int], tuple[float, float, float]],
) -> tuple[float | None, int]:
    """(median focal over the pure-rotation pairs that turned enough, or None when fewer than `MIN_PAIRS`;
    pairs used) from `rotation_pairs`' output."""
    fs = [f for f, res, angle in stats.values() if res < MAX_RESIDUAL and angle >= MIN_ANGLE_DEG]
    return (float(np.median(fs)) if len(fs) >= MIN_PAIRS else None), len(fs)
