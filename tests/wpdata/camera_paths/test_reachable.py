from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from wpdata.camera_paths.reachable import PointClearance, estimate_up, plane_frame, reachable_region


def test_up_and_plane_frame_of_a_z_up_scene(room_scene) -> None:
    cams, _ = room_scene
    up = estimate_up(cams)
    assert up @ np.array([0.0, 0.0, 1.0]) > 0.99  # the synthetic world is z up
    e1, e2 = plane_frame(up)
    frame = np.stack([e1, e2, up])
    np.testing.assert_allclose(frame @ frame.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.cross(e1, e2), up, atol=1e-12)


def test_shrunk_hull_inside_and_ray_length(room_scene) -> None:
    cams, _ = room_scene
    region = reachable_region(cams, margin_frac=0.1)
    assert region.inside(region.centres_uv).sum() < len(cams)  # the hull's own corners lie outside the shrink
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = region.sample_inside(rng)
        heading = rng.uniform(-np.pi, np.pi)
        d = np.array([np.cos(heading), np.sin(heading)])
        L = region.ray_length(p, heading)
        assert region.inside(p + 0.999 * L * d)[0]
        assert not region.inside(p + (L + 1e-3 * region.extent) * d)[0]


def test_plane_round_trip(room_scene) -> None:
    cams, pts = room_scene
    region = reachable_region(cams)
    uv, h = region.to_plane(pts[:100])
    np.testing.assert_allclose(region.to_world(uv, h), pts[:100], atol=1e-9)


def test_point_clearance_matches_brute_force(room_scene) -> None:
    _, pts = room_scene
    q = pts[:50] + np.random.default_rng(1).normal(scale=0.3, size=(50, 3))
    want = cKDTree(pts).query(q)[0]
    np.testing.assert_allclose(PointClearance(pts).distances(q), want, rtol=1e-9, atol=1e-9)
