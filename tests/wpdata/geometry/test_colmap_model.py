"""COLMAP camera models and the w2c (qvec, tvec) <-> OpenCV c2w conversion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import c2w_from_colmap, colmap_from_c2w, invert_se3, make_camera, make_se3


def test_w2c_c2w_round_trip() -> None:
    rng = np.random.default_rng(0)
    c2w = make_se3(Rotation.random(8, random_state=0).as_matrix(), rng.normal(size=(8, 3)))  # [8, 4, 4]
    q, t = colmap_from_c2w(c2w)
    assert q.shape == (8, 4) and t.shape == (8, 3) and np.all(q[:, 0] >= 0)
    np.testing.assert_allclose(c2w_from_colmap(q, t), c2w, atol=1e-12)
    # COLMAP's tvec is the world origin in camera coordinates: t = -R_w2c @ centre
    w2c = invert_se3(c2w)
    np.testing.assert_allclose(t, w2c[:, :3, 3], atol=1e-12)
    np.testing.assert_allclose(
        c2w_from_colmap(np.array([1.0, 0, 0, 0]), np.array([0, 0, 2.0]))[:3, 3], [0, 0, -2.0]
    )


def test_camera_K_and_validation() -> None:
    cam = make_camera("SIMPLE_RADIAL", 100, 80, [90.0, 50.0, 40.0, 0.01])
    model, width, height, params = cam  # unpacks like (model, width, height, params)
    assert (model, width, height, len(params)) == ("SIMPLE_RADIAL", 100, 80, 4)
    np.testing.assert_allclose(cam.K(), [[90, 0, 50], [0, 90, 40], [0, 0, 1]])
    assert cam.distortion() == {"k": 0.01}
    np.testing.assert_allclose(
        make_camera("RADIAL", 10, 10, [5, 4, 3, 0.1, 0.2]).K(), [[5, 0, 4], [0, 5, 3], [0, 0, 1]]
    )
    with pytest.raises(ValueError, match="takes 4 params"):
        make_camera("PINHOLE", 10, 10, [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown COLMAP camera model"):
        make_camera("NOPE", 10, 10, [1.0])
