"""wxyz quaternion <-> rotation matrix conversions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import R_to_quat_wxyz, quat_wxyz_to_R, quat_wxyz_to_xyzw, quat_xyzw_to_wxyz


def test_known_rotation() -> None:
    q = np.array([np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)])  # 90 deg about z
    np.testing.assert_allclose(quat_wxyz_to_R(q), [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-15)
    np.testing.assert_allclose(quat_wxyz_to_R(3.0 * q), quat_wxyz_to_R(q), atol=1e-15)  # normalised


def test_round_trip_batched_and_near_180_degrees() -> None:
    R = Rotation.random(200, random_state=3).as_matrix()  # [200, 3, 3]
    near_pi = Rotation.from_rotvec([[np.pi - 1e-9, 0, 0], [0, np.pi, 0], [1e-12, 0, 0]]).as_matrix()
    R = np.concatenate([R, near_pi]).reshape(29, 7, 3, 3)
    q = R_to_quat_wxyz(R)
    assert q.shape == (29, 7, 4)
    assert np.all(q[..., 0] >= 0)
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=1e-15)
    np.testing.assert_allclose(quat_wxyz_to_R(q), R, atol=1e-14)


def test_reorder_and_errors() -> None:
    q = np.array([0.1, 0.2, 0.3, 0.9])
    np.testing.assert_array_equal(quat_wxyz_to_xyzw(quat_xyzw_to_wxyz(q)), q)
    with pytest.raises(ValueError, match="zero"):
        quat_wxyz_to_R(np.zeros(4))
    with pytest.raises(ValueError, match="last dimension"):
        quat_wxyz_to_R(np.ones(3))
