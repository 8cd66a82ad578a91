"""Poses for every frame from poses known at some frames: scipy `Slerp` on rotations, linear on
camera centres (and on K entries); frames before the first / after the last known one hold its pose."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation, Slerp


def _check_indices(frame_indices: np.ndarray, num_frames: int, n: int) -> np.ndarray:
    idx = np.asarray(frame_indices, dtype=np.int64)
    if idx.shape != (n,) or n == 0:
        raise ValueError(f"need one frame index per pose ({n} poses), got shape {idx.shape}")
    if np.any(np.diff(idx) <= 0):
        raise ValueError("frame indices must be strictly increasing (no duplicates)")
    if idx[0] < 0 or idx[-1] >= num_frames:
        raise ValueError(f"frame indices span [{idx[0]}, {idx[-1]}], outside the clip's {num_frames} frames")
    return idx


def interpolate_poses(frame_indices: np.ndarray, c2w: np.ndarray, num_frames: int) -> np.ndarray:
    """c2w [T, 4, 4] for frames 0..T-1 from c2w [N, 4, 4] at increasing `frame_indices` [N].

    Known frames keep their pose exactly; rotations between them are slerped, centres interpolated
    linearly; outside the known range the nearest known pose is held.
    """
    c2w = np.asarray(c2w, dtype=np.float64)  # [N, 4, 4]
    idx = _check_indices(frame_indices, num_frames, len(c2w))
    t = np.arange(num_frames)
    out = np.zeros((num_frames, 4, 4))
    out[:, 3, 3] = 1.0
    for a in range(3):
        out[:, a, 3] = np.interp(t, idx, c2w[:, a, 3])
    if len(idx) == 1:
        out[:, :3, :3] = c2w[0, :3, :3]
    else:
        slerp = Slerp(idx.astype(np.float64), Rotation.from_matrix(c2w[:, :3, :3]))
        out[:, :3, :3] = slerp(np.clip(t, idx[0], idx[-1]).astype(np.float64)).as_matrix()
    out[idx] = c2w
    return out


def interpolate_K(frame_indices: np.ndarray, K: np.ndarray, num_frames: int) -> np.ndarray:
    """K [T, 3, 3] for every frame from K [N, 3, 3] at `frame_indices` [N] (entries linear, held at ends)."""
    K = np.asarray(K, dtype=np.float64)  # [N, 3, 3]
    idx = _check_indices(frame_indices, num_frames, len(K))
    flat = K.reshape(len(K), 9)
    t = np.arange(num_frames)
    out = np.stack([np.interp(t, idx, flat[:, j]) for j in range(9)], axis=1)  # [T, 9]
    return out.reshape(num_frames, 3, 3)


def max_gap(known: np.ndarray) -> int:
    """Longest run of False in a bool mask [N] (unknown items in a row, ends included)."""
    run = best = 0
    for k in np.asarray(known, dtype=bool):
        run = 0 if k else run + 1
        best = max(best, run)
    return best
