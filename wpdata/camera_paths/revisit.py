"""Revisits along a trajectory, measured with the model's own retrieval measure (manifests.fov).

Frame t is a revisit when some frame at least ``min_gap_s`` earlier overlaps its view by at least
``threshold`` (``fov_similarity``: the share of the points in frame t's view that the earlier camera
also sees). The measure's ball radius and view distance are in scene units: the release's 8 m suits a
real street, so here they are ``view_frac`` x the scene's camera extent.
"""

from __future__ import annotations

import numpy as np

from manifests.fov import fov_similarity_batch

__all__ = ["revisit_mask", "revisit_fraction"]


def revisit_mask(
    c2w: np.ndarray,
    fps: float,
    view_dist: float,
    min_gap_s: float = 2.0,
    threshold: float = 0.5,
    fov_deg: tuple[float, float] = (60.0, 35.0),
    num_points: int = 20_000,
) -> np.ndarray:
    """Which frames of c2w [T, 4, 4] revisit an earlier view (>= min_gap_s before): [T] bool."""
    c2w = np.asarray(c2w, np.float64)
    gap = int(np.ceil(min_gap_s * fps - 1e-9))
    mask = np.zeros(len(c2w), dtype=bool)
    for t in range(gap, len(c2w)):
        sim = fov_similarity_batch(
            c2w[t : t + 1], c2w[: t - gap + 1], num_points, view_dist, fov_deg, view_dist
        )  # [1, t - gap + 1]
        mask[t] = bool((sim >= threshold).any())
    return mask


def revisit_fraction(mask: np.ndarray) -> float:
    """Share of frames that are revisits."""
    mask = np.asarray(mask, dtype=bool)
    return float(mask.mean()) if len(mask) else 0.0
