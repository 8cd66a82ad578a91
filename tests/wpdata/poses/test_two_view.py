"""Two-view relative motion: pure turns, moves, moves in front of a plane, too few matches, the memo."""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses import two_view as tv_mod
from wpdata.poses.two_view import (
    PLANE_SPREAD,
    _bearings,
    _spread,
    relative_motion,
    relative_rotation,
    two_view,
)
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


def test_pure_rotation_pair_gives_its_rotation() -> None:
    R = Rotation.from_euler("yxz", [6.0, 1.0, 0.5], degrees=True).as_matrix()  # c2w of view 2 (view 1 = I)
    R12 = relative_rotation(*_pair(R, np.zeros(3)), K)
    assert R12 is not None and _angle(R12, R) < 0.05


def test_translating_pair_uses_the_essential_matrix() -> None:
    R = Rotation.from_euler("yxz", [3.0, -1.0, 0.0], degrees=True).as_matrix()
    R12 = relative_rotation(*_pair(R, np.array([0.6, 0.0, 0.3])), K)
    assert R12 is not None and _angle(R12, R) < 0.2


def test_walking_towards_a_wall_is_a_move_not_a_turn() -> None:
    """A wall 2 m ahead, seen at 40 deg (and a few things before it), fits a homography while the camera
    steps 15 cm forward and 3 cm aside and turns 0.5 deg; read as a turn, the step's parallax is taken for
    rotation (1.2 deg off). The plane's motion gives the rotation and the direction of the step."""
    rng = np.random.default_rng(3)
    wall = Rotation.from_euler("y", 40, degrees=True).as_matrix()
    X = np.column_stack([rng.uniform(-4, 4, 4000), rng.uniform(-1.5, 1.5, 4000), np.zeros(4000)]) @ wall.T
    X += [0.0, 0.0, 2.0]
    X[:150] -= rng.uniform(0.2, 0.8, (150, 1)) * wall[:, 2]  # off the plane, towards the camera
    c2 = np.eye(4)
    c2[:3, :3] = Rotation.from_euler("y", 0.5, degrees=True).as_matrix()
    c2[:3, 3] = [0.03, 0.0, 0.15]
    x1, ok1 = _project(X, np.eye(4))
    x2, ok2 = _project(X, c2)
    ok = ok1 & ok2
    x1, x2 = x1[ok] + rng.normal(0, 0.3, (ok.sum(), 2)), x2[ok]
    H, inl = cv2.findHomography(x1, x2, cv2.RANSAC, 1.5)
    K_inv, m = np.linalg.inv(K), inl.ravel().astype(bool)
    assert _spread(H, K, K_inv) > PLANE_SPREAD  # a turn would be a scaled rotation
    turn = Rotation.align_vectors(_bearings(x1[m], K_inv), _bearings(x2[m], K_inv))[0].as_matrix()
    assert _angle(turn, c2[:3, :3]) > 1.0  # the reading a pure turn would give
    R12, direction = relative_motion(x1, x2, K)
    assert R12 is not None and _angle(R12, c2[:3, :3]) < 0.2
    true_dir = c2[:3, 3] / np.linalg.norm(c2[:3, 3])  # camera 2's centre in camera 1 (the origin camera)
    assert direction is not None and np.degrees(np.arccos(np.clip(direction @ true_dir, -1, 1))) < 5.0
    assert two_view(x1, x2, K).translation @ (-c2[:3, :3].T @ c2[:3, 3]) > 0  # x_cam2 = R^T x_cam1 + t


def test_too_few_matches_gives_none() -> None:
    x = np.random.default_rng(0).uniform(0, 300, (10, 2))
    assert relative_rotation(x, x + 1.0, K) is None


def test_the_same_pair_is_computed_once_and_shared_read_only(monkeypatch) -> None:
    calls = []
    compute = tv_mod._two_view
    monkeypatch.setattr(tv_mod, "_two_view", lambda *a: calls.append(1) or compute(*a))
    x1, x2 = _pair(
        Rotation.from_euler("y", 2.0, degrees=True).as_matrix(), np.array([0.5, 0.0, 0.2]), seed=11
    )
    first = two_view(x1, x2, K)
    again = two_view(x1.copy(), np.array(x2.tolist()), K)  # other arrays, equal bytes: a hit
    assert len(calls) == 1 and again is first
    assert first.R is not None and first.direction is not None and first.translation is not None
    assert not first.R.flags.writeable
    two_view(x1, x2, K * 1.01)  # another K: computed again
    assert len(calls) == 2
