"""A track's moves judged against the two-view directions of moving pairs (wpdata.poses.motion_check)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.motion_check import direction_agreement
from wpdata.poses.two_view import pair_motions, relative_motion, relative_rotation
from wpdata.synth import intrinsics

from .test_pair_filter import _matches

K = intrinsics(640, 360)
N = 10


def _walk_and_turn() -> np.ndarray:
    """c2w [N, 4, 4]: six frames walking forward 0.15 m a step while turning 2 deg, then four turning on the
    spot 6 deg a step."""
    c2w = np.broadcast_to(np.eye(4), (N, 4, 4)).copy()
    yaw = np.r_[2.0 * np.arange(6), 10.0 + 6.0 * np.arange(1, 5)]  # [N] deg
    c2w[:, :3, :3] = Rotation.from_euler("y", yaw[:, None], degrees=True).as_matrix()
    for i in range(1, 6):
        c2w[i, :3, 3] = c2w[i - 1, :3, 3] + 0.15 * c2w[i - 1, :3, 2]  # forward: the camera's +z
    c2w[6:, :3, 3] = c2w[5, :3, 3]
    return c2w


def _pairs(c2w: np.ndarray) -> dict:
    rng = np.random.default_rng(0)
    return {(i, j): _matches(c2w[i], c2w[j], rng) for i in range(N) for j in (i + 1, i + 2) if j < N}


def test_relative_motion_gives_the_direction_of_a_move_and_none_for_a_turn() -> None:
    c2w = _walk_and_turn()
    rng = np.random.default_rng(1)
    R, d = relative_motion(*_matches(c2w[1], c2w[3], rng), K)
    truth = c2w[1, :3, :3].T @ (c2w[3, :3, 3] - c2w[1, :3, 3])
    assert np.degrees(np.arccos(d @ truth / np.linalg.norm(truth))) < 2.0
    np.testing.assert_allclose(R, c2w[1, :3, :3].T @ c2w[3, :3, :3], atol=2e-3)
    x1, x2 = _matches(c2w[6], c2w[8], rng)  # on the spot: rotation-dominant, no direction
    R, d = relative_motion(x1, x2, K)
    assert d is None and np.allclose(R, c2w[6, :3, :3].T @ c2w[8, :3, :3], atol=2e-3)
    np.testing.assert_array_equal(relative_rotation(x1, x2, K), R)
    assert relative_motion(x1[:5], x2[:5], K) == (None, None)  # too few matches


def test_the_true_track_agrees_and_a_misplaced_one_does_not() -> None:
    c2w = _walk_and_turn()
    dirs = pair_motions(_pairs(c2w), K)
    moving = {ij for ij, (_, d) in dirs.items() if d is not None}
    assert moving == {(i, j) for i in range(5) for j in (i + 1, i + 2) if j <= 5} | {(4, 6)}
    assert set(dirs) == {(i, j) for i in range(N) for j in (i + 1, i + 2) if j < N}  # all have a rotation
    good = direction_agreement(c2w, dirs)
    assert good.pairs == len(moving) and good.high_deg < 2.0 and good.median_deg <= good.high_deg
    sideways = c2w.copy()  # the same orientations, every step sideways (a piece placed with a wrong rotation)
    for i in range(1, N):
        step = c2w[i, :3, 3] - c2w[i - 1, :3, 3]
        sideways[i, :3, 3] = sideways[i - 1, :3, 3] + np.linalg.norm(step) * c2w[i - 1, :3, 0]
    off = direction_agreement(sideways, dirs)
    assert 80.0 < off.median_deg <= off.high_deg < 100.0
    half = c2w.copy()  # only the last two steps of the walk go backwards: the high quantile sees it
    half[4:6, :3, 3] = c2w[3, :3, 3] - (c2w[4:6, :3, 3] - c2w[3, :3, 3])
    part = direction_agreement(half, dirs)
    assert part.median_deg < 2.0 and part.high_deg > 90.0
    still = np.broadcast_to(c2w[0], (N, 4, 4))  # a track that never moves says nothing about directions
    assert direction_agreement(still, dirs).median_deg == 90.0
    none = direction_agreement(c2w, {})
    assert none.pairs == 0 and np.isnan(none.high_deg)
