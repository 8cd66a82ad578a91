"""Normalisation: cameras at median distance 1 around the focus, points on principal axes, invertible."""

from __future__ import annotations

import numpy as np

from wpdata.geometry import look_at
from wpdata.scenes import SceneData, denormalize_c2w, normalize_scene, similarity_from_cameras
from wpdata.scenes.normalize import transform_c2w


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    ground = np.c_[
        rng.uniform(-8, 8, 2000), rng.uniform(-3, 3, 2000), rng.normal(0, 0.05, 2000)
    ]  # flat, z up
    walls = np.c_[rng.uniform(-8, 8, 300), np.full(300, 3.0), rng.uniform(0, 2, 300)]
    pts = np.concatenate([ground, walls]) + [10.0, -4.0, 2.0]
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    eyes = np.c_[10 + 5 * np.cos(ang), -4 + 5 * np.sin(ang), np.full(12, 3.5)]
    c2w = np.stack([look_at(e, np.array([10.0, -4.0, 2.0]), up=np.array([0.0, 0.0, -1.0])) for e in eyes])
    n = len(c2w)
    return SceneData(
        [],
        c2w,
        np.tile(np.eye(3), (n, 1, 1)),
        np.full(n, 8),
        np.full(n, 8),
        pts,
        np.zeros_like(pts, np.uint8),
    )


def test_normalised_scene_is_centred_scaled_and_axis_aligned():
    s = _scene()
    n, T = normalize_scene(s)
    pts = n.points
    assert np.abs(np.median(pts, 0)).max() < 0.05
    spread = pts.std(0)
    assert spread[0] > spread[1] > spread[2]  # principal axes: longest x, flattest z
    assert np.median(pts[:, 2]) <= np.mean(pts[:, 2]) + 1e-9  # not upside down
    R = n.c2w[:, :3, :3]
    np.testing.assert_allclose(R @ np.swapaxes(R, 1, 2), np.tile(np.eye(3), (len(R), 1, 1)), atol=1e-9)
    # the similarity maps original points and cameras consistently
    np.testing.assert_allclose(s.points @ T[:3, :3].T + T[:3, 3], pts, atol=1e-9)
    np.testing.assert_allclose(denormalize_c2w(T, n.c2w), s.c2w, atol=1e-9)


def test_similarity_from_cameras_puts_cameras_at_median_distance_one_with_up_aligned():
    s = _scene()
    T = similarity_from_cameras(s.c2w)
    c = transform_c2w(T, s.c2w)
    np.testing.assert_allclose(np.median(np.linalg.norm(c[:, :3, 3], axis=1)), 1.0, rtol=1e-9)
    up = (c[:, :3, :3] @ [0.0, -1.0, 0.0]).mean(0)  # mean camera up lands on the camera-space up
    np.testing.assert_allclose(up / np.linalg.norm(up), [0.0, -1.0, 0.0], atol=1e-9)
