"""Focal length from the homographies of views that only turned; translating views give no estimate."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.focal import focal_from_homography, focal_from_rotations, is_pure_rotation, rotation_pairs
from wpdata.synth import intrinsics

W, H = 640, 360
K = intrinsics(W, H)  # f = 457 px (70 deg HFOV)


def _pixels(X: np.ndarray, R: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels [N, 2] of world points X [N, 3] in the camera c2w = (R, t), and which are visible."""
    Xc = (X - t) @ R  # [N, 3]
    x = Xc @ K.T
    x = x[:, :2] / x[:, 2:3]
    return x, (Xc[:, 2] > 0.1) & (x[:, 0] > 0) & (x[:, 0] < W) & (x[:, 1] > 0) & (x[:, 1] < H)


def _pair(yaw_deg: float, t: tuple[float, float, float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Matched pixels (0.3 px noise) of a scene 2-12 m deep seen from the origin and a turned/moved camera."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-6, 6, 4000), rng.uniform(-3, 3, 4000), rng.uniform(2, 12, 4000)])
    R2 = Rotation.from_euler("yx", [yaw_deg, 0.3 * yaw_deg], degrees=True).as_matrix()
    x1, ok1 = _pixels(X, np.eye(3), np.zeros(3))
    x2, ok2 = _pixels(X, R2, np.asarray(t, dtype=np.float64))
    ok = ok1 & ok2
    return x1[ok] + rng.normal(0, 0.3, (ok.sum(), 2)), x2[ok] + rng.normal(0, 0.3, (ok.sum(), 2))


def test_homography_of_a_rotation_gives_its_focal_and_angle() -> None:
    R = Rotation.from_euler("yx", [8.0, 3.0], degrees=True).as_matrix()
    Hm = K @ R.T @ np.linalg.inv(K)  # pixels of view 1 -> view 2 for c2w rotation R of view 2
    f, res, angle = focal_from_homography(Hm, (W / 2, H / 2), W)
    assert abs(f / K[0, 0] - 1) < 1e-3 and res < 1e-4
    assert abs(angle - np.degrees(Rotation.from_matrix(R).magnitude())) < 0.05


def test_turning_pairs_give_the_focal_and_translating_pairs_are_dropped() -> None:
    turning = {(i, i + 1): _pair(4.0 + i, (0.0, 0.0, 0.0), i) for i in range(4)}
    walking = {(i, i + 1): _pair(3.0, (0.4, 0.0, 0.6), i) for i in range(10, 14)}
    stats = rotation_pairs({**turning, **walking}, W, H)
    assert all(is_pure_rotation(stats.get(ij)) for ij in turning)
    assert not any(is_pure_rotation(stats.get(ij)) for ij in walking)
    f, used = focal_from_rotations(stats)
    assert used == 4 and f is not None and abs(f / K[0, 0] - 1) < 0.01, (f, used)


def test_too_few_turning_pairs_give_no_focal() -> None:
    stats = rotation_pairs(
        {(0, 1): _pair(5.0, (0.0, 0.0, 0.0), 0), (1, 2): _pair(0.5, (0.0, 0.0, 0.0), 1)}, W, H
    )
    assert focal_from_rotations(stats) == (None, 1)  # the 0.5 deg pair is too small a turn to count
