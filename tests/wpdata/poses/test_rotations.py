"""Chaining two-view rotations through unregistered frames, and dropping inconsistent SfM poses."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.rotations import chain_rotations, consistent_registered, registered_groups

from .test_two_view import _angle


def _yaw_track(n: int) -> np.ndarray:
    return Rotation.from_euler("y", np.linspace(0, 90, n)[:, None], degrees=True).as_matrix()  # [n, 3, 3]


def test_chain_fills_a_run_from_both_sides_and_spreads_the_drift() -> None:
    R = _yaw_track(10)  # [10, 3, 3]
    bias = Rotation.from_euler("x", 0.2, degrees=True).as_matrix()  # each pair rotation is 0.2 deg off
    rel = [R[i].T @ R[i + 1] @ bias for i in range(9)]
    known = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 1], dtype=bool)
    start = np.where(known[:, None, None], R, np.eye(3))
    out, chained = chain_rotations(known, start, rel)
    assert chained.tolist() == (~known).tolist()
    errs = [_angle(out[k], R[k]) for k in range(10)]
    assert max(errs) < 0.2 * 3.5 and errs[5] < 0.2 * 3.5  # one-sided chains would reach 6 x 0.2 deg
    np.testing.assert_array_equal(out[known], R[known])


def test_chain_at_the_clip_end_and_a_missing_pair() -> None:
    R = _yaw_track(6)
    rel = [R[i].T @ R[i + 1] for i in range(5)]
    rel[3] = None  # frames 4 and 5 cannot be reached from frame 1
    known = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    out, chained = chain_rotations(known, np.where(known[:, None, None], R, np.eye(3)), rel)
    assert chained.tolist() == [False, False, True, True, False, False]
    assert _angle(out[3], R[3]) < 1e-6


def test_inconsistent_registered_group_is_dropped() -> None:
    R = _yaw_track(8)
    rel = [R[i].T @ R[i + 1] for i in range(7)]
    model = R.copy()
    model[5:] = (
        Rotation.from_euler("z", 50, degrees=True).as_matrix() @ R[5:]
    )  # frames 5.. registered wrongly
    reg = np.array([1, 1, 1, 1, 0, 1, 1, 1], dtype=bool)
    assert consistent_registered(reg, model, rel).tolist() == [1, 1, 1, 1, 0, 0, 0, 0]
    assert consistent_registered(reg, R, rel).tolist() == reg.tolist()


def test_registered_groups_split_where_the_model_bends() -> None:
    R = _yaw_track(8)
    rel = [R[i].T @ R[i + 1] for i in range(7)]
    model = R.copy()
    model[5:] = Rotation.from_euler("z", 50, degrees=True).as_matrix() @ R[5:]  # bent between 3 and 5
    reg = np.array([1, 1, 1, 1, 0, 1, 1, 1], dtype=bool)
    assert registered_groups(reg, model, rel).tolist() == [0, 0, 0, 0, -1, 1, 1, 1]
    assert registered_groups(reg, R, rel).tolist() == [0, 0, 0, 0, -1, 0, 0, 0]
