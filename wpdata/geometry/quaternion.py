"""Quaternion <-> rotation matrix conversions (scalar-first wxyz, the COLMAP / project order).

Built on scipy.spatial.transform.Rotation, which normalises its input and extracts quaternions
with a numerically robust (Shepperd-style) method. Quaternions returned have w >= 0. scipy.spatial is
imported on first use: importing it costs ~0.6 s, which every process importing wpdata.geometry (each
curation actor, each CLI command) would pay whether it converts a quaternion or not.
"""

from __future__ import annotations

import numpy as np


def _check_quat(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    if q.shape[-1] != 4:
        raise ValueError(f"quaternion must have a last dimension of 4, got shape {q.shape}")
    norms = np.linalg.norm(q, axis=-1)
    if np.any(~np.isfinite(norms)) or np.any(norms < 1e-12):
        raise ValueError("quaternion has zero or non-finite norm")
    return q


def quat_wxyz_to_R(q: np.ndarray) -> np.ndarray:
    """Rotation matrices from (not necessarily unit) wxyz quaternions: [..., 4] -> [..., 3, 3]."""
    q = _check_quat(q)
    from scipy.spatial.transform import Rotation

    flat = q.reshape(-1, 4)  # [N, 4] wxyz
    R = Rotation.from_quat(flat[:, [1, 2, 3, 0]]).as_matrix()  # [N, 3, 3]
    return R.reshape(q.shape[:-1] + (3, 3))


def R_to_quat_wxyz(R: np.ndarray) -> np.ndarray:
    """Unit wxyz quaternions (w >= 0) from rotation matrices: [..., 3, 3] -> [..., 4]."""
    R = np.asarray(R, dtype=np.float64)
    if R.shape[-2:] != (3, 3):
        raise ValueError(f"rotation must have trailing shape (3, 3), got {R.shape}")
    from scipy.spatial.transform import Rotation

    flat = R.reshape(-1, 3, 3)  # [N, 3, 3]
    xyzw = Rotation.from_matrix(flat).as_quat()  # [N, 4]
    wxyz = xyzw[:, [3, 0, 1, 2]]
    wxyz = np.where(wxyz[:, :1] < 0, -wxyz, wxyz)
    return wxyz.reshape(R.shape[:-2] + (4,))


def quat_xyzw_to_wxyz(q: np.ndarray) -> np.ndarray:
    """Reorder scalar-last quaternions [..., 4] (x, y, z, w) to scalar-first (w, x, y, z)."""
    q = np.asarray(q, dtype=np.float64)
    return q[..., [3, 0, 1, 2]]


def quat_wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    """Reorder scalar-first quaternions [..., 4] (w, x, y, z) to scalar-last (x, y, z, w)."""
    q = np.asarray(q, dtype=np.float64)
    return q[..., [1, 2, 3, 0]]
