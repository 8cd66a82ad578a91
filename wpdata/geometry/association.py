"""Timestamp association of two trajectories, as evo's `sync.associate_trajectories` does it."""

from __future__ import annotations

import numpy as np


def matching_time_indices(
    stamps_1: np.ndarray, stamps_2: np.ndarray, max_diff: float = 0.01, offset_2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """For each stamp in `stamps_1`, the nearest in `stamps_2 + offset_2` if within `max_diff`."""
    s1 = np.asarray(stamps_1, dtype=np.float64)
    s2 = np.asarray(stamps_2, dtype=np.float64) + offset_2
    if len(s2) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(s2, kind="stable")
    s2s = s2[order]
    pos = np.clip(np.searchsorted(s2s, s1), 1, max(len(s2s) - 1, 1))
    left = np.clip(pos - 1, 0, len(s2s) - 1)
    right = np.clip(pos, 0, len(s2s) - 1)
    dl = np.abs(s2s[left] - s1)
    dr = np.abs(s2s[right] - s1)
    # argmin picks the lowest index on ties; with sorted unique stamps that is the left one.
    pick = np.where(dr < dl, right, left)
    diffs = np.minimum(dl, dr)
    keep = diffs <= max_diff
    return np.nonzero(keep)[0], order[pick[keep]]


def associate(
    t_ref: np.ndarray, t_est: np.ndarray, max_diff: float = 0.01, offset_est: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i_ref [M], i_est [M]) matching two timestamp arrays, evo-style.

    Like evo, the shorter trajectory is searched into the longer one (nearest stamp within
    `max_diff` seconds after adding `offset_est` to the estimate's stamps).
    """
    t_ref = np.asarray(t_ref, dtype=np.float64)
    t_est = np.asarray(t_est, dtype=np.float64)
    if len(t_est) > len(t_ref):
        i_ref, i_est = matching_time_indices(t_ref, t_est, max_diff, offset_est)
    else:
        i_est, i_ref = matching_time_indices(t_est, t_ref, max_diff, -offset_est)
    if len(i_ref) == 0:
        raise ValueError(f"no timestamps matched within max_diff={max_diff} s (offset {offset_est} s)")
    return i_ref, i_est
