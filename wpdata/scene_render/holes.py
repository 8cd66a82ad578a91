"""Holes in a render: pixels whose accumulated alpha is below a threshold (nothing was splatted there)."""

from __future__ import annotations

import numpy as np

__all__ = ["hole_masks", "hole_fractions"]


def hole_masks(alpha: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Hole pixels of alpha [..., H, W]: bool, same shape."""
    a = np.asarray(alpha)
    return ~(a >= threshold)  # NaN alpha counts as a hole


def hole_fractions(alpha: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Share of hole pixels per frame of alpha [T, H, W]: [T]."""
    return hole_masks(alpha, threshold).reshape(len(alpha), -1).mean(axis=1)
