"""Chaining two-view rotations through unregistered frames, and dropping inconsistent SfM poses."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.rotations import chain_rotations, consistent_registered, registered_groups
from wpdata.synth import intrinsics

K = intrinsics(640, 360)


def _angle(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.degrees(Rotation.from_matrix(A.T @ B).magnitude()))


def _project(X: np.ndarray, c2w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels [N, 2] of world points X [N, 3] in a camera, and which are in front and inside the image."""
    Xc = (X - c2w[:3, 3]) @ c2w[:3, :3]  # [N, 3]
    x = Xc @ K.T
    x = x[:, :2] / x[:, 2:3]
    ok = (Xc[:, 2] > 0.1) & (x[:, 0] > 0) & (x[:, 0] < 640) & (x[:, 1] > 0) & (x[:, 1] < 360)
    return x, ok


def _pair(R2: np.ndarray, t2: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Matched pixels of random scene points seen from the origin camera and from (R2, t2)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-4, 4, 3000), rng.uniform(-2, 2, 3000), rng.uniform(2, 12, 3000)])
    c1, c2 = np.eye(4), np.eye(4)
    c2[:3, :3], c2[:3, 3] = R2, t2
    x1, ok1 = _project(X, c1)
    x2, ok2 = _project(X, c2)
    ok = ok1 & ok2
    noise = rng.normal(0, 0.3, (2, ok.sum(), 2))
    x2_out = x2[ok] + noise[1]
    x2_out[:20] = rng.uniform(0, 360, (20, 2))  # a few wrong matches
    return x1[ok] + noise[0], x2_out


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
