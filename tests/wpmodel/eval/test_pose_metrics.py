"""Rdist / Tdist: zero on identical and on similar (world-transformed) trajectories, known values for a
known rotation offset, scale-free Tdist, undefined Tdist for a camera that does not move."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpmodel.eval import pose_metrics, sim3_align


def _path(n: int = 12, seed: int = 0) -> np.ndarray:
    """A curved walk with yaw and some height change: c2w [n, 4, 4]."""
    rng = np.random.default_rng(seed)
    c2w = np.tile(np.eye(4), (n, 1, 1))
    c2w[:, :3, :3] = Rotation.from_euler(
        "yx", np.c_[np.linspace(0, 0.8, n), rng.normal(0, 0.05, n)]
    ).as_matrix()
    s = np.linspace(0, 3, n)
    c2w[:, :3, 3] = np.c_[np.sin(s), 0.1 * s**2, 2 * s]
    return c2w


def test_identical_trajectories_give_zero():
    p = _path()
    m = pose_metrics(p, p)
    assert m.rdist == pytest.approx(0, abs=1e-7) and m.tdist == pytest.approx(0, abs=1e-9)
    assert m.rdist_per_frame.shape == (12,) and m.tdist_per_frame.shape == (12,)


def test_a_similarity_transform_of_the_world_changes_nothing():
    p = _path()
    G = np.eye(4)
    G[:3, :3] = Rotation.from_euler("xyz", [0.3, -1.1, 2.0]).as_matrix()
    G[:3, 3] = [5.0, -2.0, 7.0]
    est = G @ p
    est[:, :3, 3] *= 3.5  # an SfM reconstruction has its own scale too
    m = pose_metrics(p, est)
    assert m.rdist == pytest.approx(0, abs=1e-7) and m.tdist == pytest.approx(0, abs=1e-9)
    assert m.scale == pytest.approx(1 / 3.5)


def test_a_known_rotation_offset_gives_its_angle():
    p = _path()
    theta = 0.2
    est = p.copy()
    est[1:, :3, :3] = est[1:, :3, :3] @ Rotation.from_rotvec([0, theta, 0]).as_matrix()  # frames 1.. turned
    m = pose_metrics(p, est)
    np.testing.assert_allclose(m.rdist_per_frame, [0.0] + [theta] * 11, atol=1e-9)
    assert m.rdist == pytest.approx(theta * 11 / 12)
    assert m.tdist == pytest.approx(0, abs=1e-9)  # centres untouched


def test_tdist_is_relative_to_the_commanded_extent():
    p = _path()
    est = p.copy()
    est[6, :3, 3] += [0.0, 0.5, 0.0]  # one camera displaced
    a = pose_metrics(p, est)
    big_p, big_e = p.copy(), est.copy()
    big_p[:, :3, 3] *= 10
    big_e[:, :3, 3] *= 10
    b = pose_metrics(big_p, big_e)
    assert a.tdist > 0.005 and a.tdist == pytest.approx(b.tdist)
    assert int(np.argmax(a.tdist_per_frame)) == 6


def test_tdist_is_undefined_when_the_commanded_camera_does_not_move():
    p = np.tile(np.eye(4), (5, 1, 1))
    m = pose_metrics(p, _path(5))
    assert np.isnan(m.tdist) and "does not move" in m.note and np.isfinite(m.rdist)


def test_sim3_align_recovers_a_known_similarity():
    rng = np.random.default_rng(3)
    src = rng.normal(size=(20, 3))
    R = Rotation.from_euler("zyx", [0.4, 0.9, -0.3]).as_matrix()
    dst = 2.5 * src @ R.T + [1.0, 2.0, 3.0]
    R2, t2, s2 = sim3_align(src, dst)
    np.testing.assert_allclose(R2, R, atol=1e-9)
    np.testing.assert_allclose(t2, [1.0, 2.0, 3.0], atol=1e-9)
    assert s2 == pytest.approx(2.5)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="commanded poses"):
        pose_metrics(_path(5), _path(6))
