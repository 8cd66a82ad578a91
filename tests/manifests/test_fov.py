import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from manifests.fov import default_points, fov_similarity, fov_similarity_batch, sample_ball_points


def reference_similarity(query, hist, points, fov_deg=(60.0, 35.0), max_dist=8.0):
    """Brute force with trigonometry, no culling: every point into every camera's frame."""
    half_h, half_v = (math.radians(f / 2) for f in fov_deg)

    def seen(c2w, pts_world, dist):
        p = (pts_world - c2w[:3, 3]) @ c2w[:3, :3]  # world -> camera
        yaw = np.arctan2(p[:, 0], p[:, 2])
        pitch = np.arctan2(p[:, 1], np.hypot(p[:, 0], p[:, 2]))
        ok = (np.abs(yaw) < half_h) & (np.abs(pitch) < half_v)
        return ok & (np.linalg.norm(p, axis=1) < dist) if dist else ok

    world = points @ query[:3, :3].T + query[:3, 3]
    cur = seen(query, world, None)
    return np.array([(cur & seen(h, world, max_dist)).sum() / cur.sum() for h in hist])


def test_identical_pose_is_one_and_opposite_far_is_zero(cams):
    q = cams.yaw_pose(0.3, (1.0, 0.0, 2.0))
    far_opposite = cams.yaw_pose(0.3 + math.pi, (1.0, 0.0, 2.0 - 20.0))
    sim = fov_similarity(q, np.stack([q, far_opposite]))
    assert sim[0] == 1.0
    assert sim[1] == 0.0


def test_similarity_falls_as_the_heading_turns_away(cams):
    q = np.eye(4)
    hist = np.stack([cams.yaw_pose(math.radians(a), (0, 0, 0)) for a in (0, 10, 20, 40, 70)])
    sim = fov_similarity(q, hist)
    assert sim[0] == 1.0
    assert np.all(np.diff(sim) < 0)
    assert 0.0 < sim[2] < 1.0 and sim[-1] == 0.0  # 70 degrees apart: no shared view with 60 deg FOV


def test_matches_brute_force_reference_with_culling(cams):
    rng = np.random.default_rng(3)
    q = cams.yaw_pose(0.4, (2.0, 0.5, -1.0))
    hist = []
    centre = q[:3, :3] @ np.array([0.0, 0.0, 5.0]) + q[:3, 3]  # middle of the query's view
    for i in range(300):  # near poses with pitch and roll; then a ring around the view, where culls act
        m = np.eye(4)
        if i < 60:
            a, b, c = rng.uniform(-np.pi, np.pi, 3) * (1.0, 0.2, 0.2)
            m[:3, 3] = q[:3, 3] + rng.normal(0, 3, 3)
        else:
            ang, dist = rng.uniform(-np.pi, np.pi), rng.uniform(9.0, 13.0)
            m[:3, 3] = centre + dist * np.array([np.sin(ang), 0.0, np.cos(ang)])
            a, b, c = ang + np.pi + rng.normal(0, 0.4), rng.normal(0, 0.1), rng.normal(0, 0.1)
        m[:3, :3] = Rotation.from_euler("yxz", [a, b, c]).as_matrix()
        hist.append(m)
    hist = np.stack(hist)
    pts = sample_ball_points(8_000, 8.0, np.random.default_rng(0))
    got = fov_similarity(q, hist, points=pts)
    want = reference_similarity(q, hist, pts)
    assert np.abs(got - want).max() <= 2.0 / 400  # float32 transform: only boundary points may differ
    assert (want > 0.05).sum() >= 10 and (want == 0).sum() >= 10  # the case covers both culled and seen


def test_rigid_motion_of_all_cameras_changes_nothing(cams):
    rng = np.random.default_rng(1)
    q = cams.yaw_pose(0.2, (0, 0, 0))
    hist = np.stack([cams.yaw_pose(rng.uniform(-1, 1), rng.uniform(-3, 3, 3)) for _ in range(20)])
    g = cams.yaw_pose(1.1, (5.0, -2.0, 7.0))
    a = fov_similarity(q, hist)
    b = fov_similarity(g @ q, g @ hist)
    assert np.abs(a - b).max() <= 2.0 / 1000


def test_deterministic_and_batch_equals_single(cams):
    hist = np.stack([cams.yaw_pose(0.1 * i, (0.0, 0.0, 0.3 * i)) for i in range(10)])
    queries = hist[[2, 7]]
    batch = fov_similarity_batch(queries, hist)
    assert np.array_equal(batch[1], fov_similarity(queries[1], hist))
    assert np.array_equal(batch, fov_similarity_batch(queries, hist))
    g1 = fov_similarity(queries[0], hist, generator=np.random.default_rng(7))
    g2 = fov_similarity(queries[0], hist, generator=np.random.default_rng(7))
    assert np.array_equal(g1, g2)
    assert default_points() is default_points()  # one shared sample set


def test_points_are_uniform_in_the_ball():
    pts = default_points()
    r = np.linalg.norm(pts, axis=1)
    assert pts.shape == (50_000, 3) and r.max() < 8.0
    assert abs((r < 4.0).mean() - 1 / 8) < 0.01  # volume fraction of the inner half-radius ball


def test_bad_input_raises():
    with pytest.raises(ValueError, match="hist_c2w"):
        fov_similarity(np.eye(4), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="fov_deg"):
        fov_similarity(np.eye(4), np.eye(4)[None], fov_deg=(200.0, 35.0))
    with pytest.raises(ValueError, match="non-finite"):
        fov_similarity(np.eye(4), np.full((1, 4, 4), np.nan))
