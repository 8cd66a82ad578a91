"""TUM RGB-D trajectory files: one pose per line `t tx ty tz qx qy qz qw` (camera-to-world)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_write_text

from ._text import read_matrix
from .convention import as_se3, make_se3
from .quaternion import R_to_quat_wxyz, quat_wxyz_to_R


def read_tum(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a TUM file -> (timestamps [N] float64 s, c2w [N, 4, 4] float64)."""
    m = read_matrix(path, 8)  # [N, 8]
    q_wxyz = m[:, [7, 4, 5, 6]]
    return m[:, 0].copy(), make_se3(quat_wxyz_to_R(q_wxyz), m[:, 1:4])


def write_tum(path: str | os.PathLike, t: np.ndarray, c2w: np.ndarray) -> Path:
    """Write timestamps [N] and c2w [N, 4, 4] as a TUM file (atomic)."""
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    c2w = as_se3(c2w, "c2w")
    if c2w.ndim != 3 or len(c2w) != len(t):
        raise ValueError(f"write_tum: need c2w [N, 4, 4] with N = len(t) = {len(t)}, got {c2w.shape}")
    q = R_to_quat_wxyz(c2w[:, :3, :3])  # [N, 4] wxyz
    lines = [
        f"{ti:.9f} {p[0]:.9f} {p[1]:.9f} {p[2]:.9f} {qi[1]:.9f} {qi[2]:.9f} {qi[3]:.9f} {qi[0]:.9f}"
        for ti, p, qi in zip(t, c2w[:, :3, 3], q, strict=True)
    ]
    return atomic_write_text(path, "\n".join(lines) + "\n")
