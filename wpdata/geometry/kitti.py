"""KITTI odometry pose files: one camera-to-world 3x4 matrix per line, row-major (12 numbers)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_write_text

from ._text import read_matrix
from .convention import as_se3


def read_kitti(path: str | os.PathLike) -> np.ndarray:
    """Read a KITTI pose file -> c2w [N, 4, 4] float64."""
    m = read_matrix(path, 12)  # [N, 12]
    c2w = np.zeros((len(m), 4, 4))
    c2w[:, :3, :] = m.reshape(-1, 3, 4)
    c2w[:, 3, 3] = 1.0
    return c2w


def write_kitti(path: str | os.PathLike, c2w: np.ndarray) -> Path:
    """Write c2w [N, 4, 4] as a KITTI pose file (atomic)."""
    c2w = as_se3(c2w, "c2w")
    if c2w.ndim != 3:
        raise ValueError(f"write_kitti: need c2w [N, 4, 4], got {c2w.shape}")
    rows = c2w[:, :3, :].reshape(-1, 12)
    lines = [" ".join(f"{v:.9e}" for v in r) for r in rows]
    return atomic_write_text(path, "\n".join(lines) + "\n")
