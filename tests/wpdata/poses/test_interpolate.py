"""Interpolation of poses between known frames: exact on a constant-rate screw path, held at the ends."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.poses import interpolate_K, interpolate_poses, max_gap


def _screw(T: int) -> np.ndarray:
    """Constant angular rate about a fixed axis and constant velocity: what slerp + lerp reproduce."""
    t = np.arange(T, dtype=np.float64)
    axis = np.array([0.2, 1.0, 0.3]) / np.linalg.norm([0.2, 1.0, 0.3])
    c2w = np.tile(np.eye(4), (T, 1, 1))
    c2w[:, :3, :3] = (
        Rotation.from_rotvec(np.outer(0.02 * t, axis)) * Rotation.from_euler("x", 0.4)
    ).as_matrix()
    c2w[:, :3, 3] = np.array([0.5, -0.1, 2.0]) + np.outer(t, [0.03, 0.01, -0.02])
    return c2w


def test_slerp_lerp_is_exact_on_a_screw_path() -> None:
    gt = _screw(40)
    known = np.array([0, 3, 4, 10, 17, 25, 39])
    out = interpolate_poses(known, gt[known], 40)
    np.testing.assert_allclose(out, gt, atol=1e-10)


def test_known_frames_kept_and_ends_held() -> None:
    gt = _screw(20)
    known = np.array([5, 9, 14])
    out = interpolate_poses(known, gt[known], 20)
    np.testing.assert_array_equal(out[known], gt[known])
    np.testing.assert_allclose(out[:5], np.repeat(gt[5:6], 5, 0), atol=1e-12)
    np.testing.assert_allclose(out[15:], np.repeat(gt[14:15], 5, 0), atol=1e-12)
    single = interpolate_poses(np.array([3]), gt[3:4], 6)
    np.testing.assert_allclose(single, np.repeat(gt[3:4], 6, 0))


def test_bad_indices_raise() -> None:
    gt = _screw(10)
    with pytest.raises(ValueError, match="increasing"):
        interpolate_poses(np.array([0, 4, 4]), gt[[0, 4, 5]], 10)
    with pytest.raises(ValueError, match="outside"):
        interpolate_poses(np.array([0, 10]), gt[[0, 1]], 10)


def test_K_is_linear_between_known_frames() -> None:
    K = np.stack([np.diag([100.0, 100.0, 1.0]), np.diag([200.0, 200.0, 1.0])])
    out = interpolate_K(np.array([2, 6]), K, 8)
    assert out[:, 0, 0].tolist() == [100, 100, 100, 125, 150, 175, 200, 200]


def test_max_gap_counts_runs_at_the_ends() -> None:
    assert max_gap(np.array([1, 0, 0, 1, 0, 1], bool)) == 2
    assert max_gap(np.array([0, 0, 0, 1, 1], bool)) == 3
    assert max_gap(np.ones(4, bool)) == 0
