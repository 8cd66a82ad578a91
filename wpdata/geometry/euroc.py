"""EuRoC MAV ground-truth csv: `#timestamp [ns], p_xyz [m], q_wxyz, (v_xyz, b_w_xyz, b_a_xyz)`."""

from __future__ import annotations

import os

import numpy as np

from ._text import read_matrix
from .convention import make_se3
from .quaternion import quat_wxyz_to_R


def read_euroc_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a EuRoC state csv -> (timestamps [N] float64 seconds, body-to-world [N, 4, 4])."""
    m = read_matrix(path, (8, 17), delimiter=",")  # [N, 8 or 17]
    t = m[:, 0] / 1e9  # ns -> s
    return t, make_se3(quat_wxyz_to_R(m[:, 4:8]), m[:, 1:4])
