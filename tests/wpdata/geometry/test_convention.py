"""OpenCV/OpenGL flips, SE(3) inverse, relative poses, recentering and look_at."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import (
    invert_se3,
    look_at,
    make_se3,
    opencv_to_opengl,
    opengl_to_opencv,
    recenter,
    relative_poses,
)


def random_poses(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return make_se3(Rotation.random(n, random_state=seed).as_matrix(), rng.normal(size=(n, 3)))  # [N, 4, 4]


def test_opengl_opencv_round_trip_and_axes() -> None:
    c2w = random_poses(6)
    gl = opencv_to_opengl(c2w)
    np.testing.assert_allclose(opengl_to_opencv(gl), c2w, atol=1e-15)
    np.testing.assert_allclose(gl[:, :3, 3], c2w[:, :3, 3])  # camera centres unchanged
    np.testing.assert_allclose(gl[:, :3, 2], -c2w[:, :3, 2])  # OpenGL looks down -z
    np.testing.assert_allclose(opengl_to_opencv(np.eye(4)), np.diag([1.0, -1.0, -1.0, 1.0]))


def test_invert_se3() -> None:
    T = random_poses(5, seed=1)
    np.testing.assert_allclose(invert_se3(T) @ T, np.broadcast_to(np.eye(4), T.shape), atol=1e-12)
    np.testing.assert_allclose(invert_se3(T[0]), np.linalg.inv(T[0]), atol=1e-12)
    with pytest.raises(ValueError, match=r"\[4, 4\]"):
        invert_se3(np.eye(3))


def test_relative_poses_of_known_trajectory() -> None:
    # camera moves 1 m forward (+z) per frame and yaws 10 degrees right each step
    step = make_se3(Rotation.from_euler("y", 10, degrees=True).as_matrix(), [0.0, 0.0, 1.0])
    base = np.stack([np.linalg.matrix_power(step, k) for k in range(5)])
    start = make_se3(Rotation.from_euler("x", 30, degrees=True).as_matrix(), [1.0, 2.0, 3.0])
    traj = start @ base  # [5, 4, 4]
    rel = relative_poses(traj)
    np.testing.assert_allclose(rel[0], np.eye(4), atol=1e-12)
    np.testing.assert_allclose(rel[1:], np.broadcast_to(step, (4, 4, 4)), atol=1e-12)
    rc = recenter(traj)
    np.testing.assert_allclose(rc, base, atol=1e-12)
    np.testing.assert_allclose(rel[2][:3, 3], [0.0, 0.0, 1.0], atol=1e-12)  # moves along its own +z


def test_look_at_points_camera_at_target() -> None:
    eye, target = np.array([1.0, -2.0, -4.0]), np.array([0.5, 0.0, 1.0])
    c2w = look_at(eye, target, np.array([0.0, -1.0, 0.0]))
    R = c2w[:3, :3]
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    np.testing.assert_allclose(c2w[:3, 3], eye)
    cam = invert_se3(c2w) @ np.append(target, 1.0)
    np.testing.assert_allclose(cam[:2], 0.0, atol=1e-12)  # target on the optical axis, in front
    assert cam[2] > 0
    assert R[:, 1] @ np.array([0.0, -1.0, 0.0]) < 0  # image down is world down
    np.testing.assert_allclose(look_at(np.zeros(3), [0, 0, 1], [0, -1, 0]), np.eye(4), atol=1e-12)
    with pytest.raises(ValueError, match="parallel"):
        look_at(np.zeros(3), np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0]))
