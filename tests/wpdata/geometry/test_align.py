"""Umeyama SE(3)/Sim(3) alignment."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import align_trajectory, make_se3, umeyama


def test_recovers_known_sim3_exactly() -> None:
    rng = np.random.default_rng(0)
    src = rng.normal(size=(100, 3))  # [N, 3]
    R = Rotation.random(random_state=4).as_matrix()
    t, s = np.array([1.0, -2.0, 0.5]), 2.5
    dst = s * src @ R.T + t
    R2, t2, s2 = umeyama(src, dst, with_scale=True)
    np.testing.assert_allclose(R2, R, atol=1e-12)
    np.testing.assert_allclose(t2, t, atol=1e-12)
    assert s2 == pytest.approx(s, rel=1e-12)
    R3, t3, s3 = umeyama(src, src @ R.T + t, with_scale=False)
    assert s3 == 1.0
    np.testing.assert_allclose(R3, R, atol=1e-12)
    np.testing.assert_allclose(t3, t, atol=1e-12)


def test_rigid_alignment_handles_reflection_case() -> None:
    rng = np.random.default_rng(1)
    src = rng.normal(size=(50, 3))
    dst = src * np.array([1.0, 1.0, -1.0])  # a reflection: best proper rotation, det +1
    R, _, _ = umeyama(src, dst)
    assert np.linalg.det(R) == pytest.approx(1.0)


def test_align_trajectory_maps_estimate_onto_reference() -> None:
    rng = np.random.default_rng(2)
    ref = make_se3(Rotation.random(30, random_state=2).as_matrix(), rng.normal(size=(30, 3)))
    G = make_se3(Rotation.random(random_state=5).as_matrix(), [3.0, 0.0, -1.0])
    est = np.linalg.inv(G) @ ref
    est[:, :3, 3] *= 0.3  # positions scaled, like a monocular estimate
    aligned, (_, _, s) = align_trajectory(est, ref, with_scale=True)
    assert s == pytest.approx(1 / 0.3, rel=1e-9)
    np.testing.assert_allclose(aligned, ref, atol=1e-9)  # orientations rotated too


def test_degenerate_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match="degenerate"):
        umeyama(np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="equal-shaped"):
        umeyama(np.zeros((5, 3)), np.zeros((4, 3)))
