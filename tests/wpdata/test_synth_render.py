"""Renderer exactness: depth against an independent ray caster, reprojection and two-view warps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from wpdata.synth import intrinsics, make_world, pose_from_yaw_pitch, project, render
from wpdata.synth.render import NEAR

W, H = 160, 90


@pytest.fixture(scope="module")
def street():
    return make_world(7, "street", n_boxes=12)


def _view(world, yaw=0.4, pitch=-0.1, offset=(0.0, 0.0, 0.0)):
    p = world.free_points()[len(world.free_points()) // 3]
    return pose_from_yaw_pitch(np.array([p[0], p[1], 1.6]) + offset, yaw, pitch)


def _ray_cast(world, c2w, K, xs, ys):
    """Brute-force nearest hit along each pixel-centre ray: (camera z [N], hit points [N, 3])."""
    d = np.stack([(xs + 0.5 - K[0, 2]) / K[0, 0], (ys + 0.5 - K[1, 2]) / K[1, 1], np.ones(len(xs))], -1)
    d = d @ c2w[:3, :3].T  # world directions with camera-z component 1
    o = c2w[:3, 3]
    best = np.full(len(xs), np.inf)
    for q in world.quads:
        p0, U, V = q.corners[0], q.corners[1] - q.corners[0], q.corners[3] - q.corners[0]
        if not q.two_sided and q.normal @ (o - p0) <= 0:
            continue
        for i in range(len(xs)):
            A = np.stack([U, V, -d[i]], -1)
            if abs(np.linalg.det(A)) < 1e-12:
                continue
            u, v, s = np.linalg.solve(A, o - p0)
            if 0 <= u <= 1 and 0 <= v <= 1 and s >= NEAR and s < best[i]:
                best[i] = s
    return best, o + best[:, None] * d


def test_depth_matches_independent_ray_caster_and_reprojection(street):
    K = intrinsics(W, H)
    c2w = _view(street)
    rgb, depth = render(street, c2w, K, W, H)
    assert rgb.shape == (H, W, 3) and rgb.dtype == np.uint8 and depth.dtype == np.float32
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(0, W, 120), rng.integers(0, H, 120)
    z_ref, X = _ray_cast(street, c2w, K, xs, ys)
    hit = np.isfinite(z_ref)
    assert hit.sum() > 60, "the test view should mostly see geometry"
    np.testing.assert_array_equal(np.isinf(depth[ys, xs]), ~hit)  # sky exactly where rays miss
    np.testing.assert_allclose(depth[ys, xs][hit], z_ref[hit], rtol=1e-3)
    # the hit point, projected with K and w2c, lands on its pixel whose depth equals its camera z
    xy, z = project(K, c2w, X[hit])
    np.testing.assert_allclose(xy, np.stack([xs[hit] + 0.5, ys[hit] + 0.5], -1), atol=1e-6)
    px = np.floor(xy).astype(int)
    np.testing.assert_allclose(depth[px[:, 1], px[:, 0]], z, rtol=1e-3)


def test_two_views_agree_by_reprojection_through_depth(street):
    K = intrinsics(W, H)
    a, b = _view(street), _view(street, yaw=0.5, pitch=-0.08, offset=(0.3, -0.2, 0.1))
    rgb_a, depth_a = render(street, a, K, W, H)
    rgb_b, depth_b = render(street, b, K, W, H)
    ys, xs = np.nonzero(np.isfinite(depth_a))
    rays = np.stack([(xs + 0.5 - K[0, 2]) / K[0, 0], (ys + 0.5 - K[1, 2]) / K[1, 1], np.ones(len(xs))], -1)
    X = (rays * depth_a[ys, xs, None]) @ a[:3, :3].T + a[:3, 3]
    xy, z = project(K, b, X)
    inside = (xy[:, 0] >= 1) & (xy[:, 0] < W - 1) & (xy[:, 1] >= 1) & (xy[:, 1] < H - 1) & (z > NEAR)
    px = np.floor(xy[inside]).astype(int)
    visible = np.abs(depth_b[px[:, 1], px[:, 0]] - z[inside]) < 0.01 * z[inside]
    assert visible.mean() > 0.8, "most reprojected points must pass the depth test in the other view"

    def colour_error(shift: float) -> float:
        m = (xy[inside][visible] - 0.5 + shift).astype(np.float32)
        warped = cv2.remap(rgb_b, m[:, 0:1], m[:, 1:2], cv2.INTER_LINEAR)[:, 0].astype(float)
        src = rgb_a[ys[inside][visible], xs[inside][visible]].astype(float)
        return float(np.abs(warped - src).mean())

    err, control = colour_error(0.0), colour_error(4.0)
    assert err < 5.0 and err < 0.3 * control, (err, control)


def test_same_seed_renders_identical_bytes_and_other_seed_differs():
    K = intrinsics(W, H)
    w1, w2, w3 = (
        make_world(3, "plaza", n_boxes=6),
        make_world(3, "plaza", n_boxes=6),
        make_world(4, "plaza", n_boxes=6),
    )
    c2w = pose_from_yaw_pitch([0.0, 6.0, 1.6], -1.2, -0.1)
    r1, d1 = render(w1, c2w, K, W, H)
    r2, d2 = render(w2, c2w, K, W, H)
    assert r1.tobytes() == r2.tobytes() and d1.tobytes() == d2.tobytes()
    assert render(w3, c2w, K, W, H)[0].tobytes() != r1.tobytes()


def test_render_rejects_bad_input(street):
    K = intrinsics(W, H)
    with pytest.raises(ValueError, match="c2w"):
        render(street, np.eye(3), K, W, H)
    with pytest.raises(ValueError, match="size"):
        render(street, np.eye(4), K, 0, H)


def test_render_speed_street_320(street):
    import time

    world = make_world(1, "street")
    K = intrinsics(320, 180)
    poses = [_view(world, yaw=0.2 * i) for i in range(10)]
    render(world, poses[0], K, 320, 180)
    t = time.perf_counter()
    for p in poses:
        render(world, p, K, 320, 180)
    fps = len(poses) / (time.perf_counter() - t)
    # target is >= 15 frames/s on one free core (measured 45-60); half of it here, the CPU is shared in CI
    assert fps >= 7.5, f"{fps:.1f} frames/s at 320x180"
