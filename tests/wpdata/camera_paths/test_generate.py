from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.spatial import ConvexHull, cKDTree
from scipy.spatial.transform import Rotation

from wpdata.camera_paths import TRAJECTORY_KINDS, PathLimits, generate_trajectory, reachable_region

FPS, T = 15.0, 150


def _hull_depth(region, uv: np.ndarray) -> np.ndarray:
    """Signed distance to the camera hull polygon, by cv2 (independent of the region's half-planes)."""
    poly = region.centres_uv[ConvexHull(region.centres_uv).vertices].astype(np.float32)
    return np.array([cv2.pointPolygonTest(poly, (float(u), float(v)), True) for u, v in uv])


@pytest.mark.parametrize("kind", sorted(TRAJECTORY_KINDS))
def test_kind_respects_region_clearance_and_limits(room_scene, kind: str) -> None:
    cams, pts = room_scene
    limits = PathLimits()
    region = reachable_region(cams, limits.margin_frac)
    traj = generate_trajectory(cams, pts, kind, seed=3, num_frames=T, fps=FPS, limits=limits)
    assert traj.c2w.shape == (T, 4, 4) and traj.kind == kind and traj.revisit_mask.shape == (T,)
    centres = traj.c2w[:, :3, 3]
    uv, h = region.to_plane(centres)
    assert (_hull_depth(region, uv) >= region.margin - 1e-4 * region.extent).all()
    lo, hi = region.height_band
    assert ((h >= lo - 1e-9) & (h <= hi + 1e-9)).all()
    dist = cKDTree(pts).query(centres)[0]
    assert dist.min() >= traj.clearance_limit > 0
    assert traj.min_clearance == pytest.approx(dist.min(), rel=1e-9)
    speed = np.linalg.norm(np.diff(centres, axis=0), axis=1) * FPS
    assert speed.max() <= limits.speed_frac * region.extent * (1 + 1e-9)
    rel = Rotation.from_matrix(traj.c2w[:-1, :3, :3]).inv() * Rotation.from_matrix(traj.c2w[1:, :3, :3])
    assert np.degrees(rel.magnitude()).max() * FPS <= limits.turn_rate_deg * (1 + 1e-6)
    R = traj.c2w[:, :3, :3]
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape), atol=1e-9)


def test_deterministic_per_seed(room_scene) -> None:
    cams, pts = room_scene
    a = generate_trajectory(cams, pts, "loop", seed=7, num_frames=150, fps=FPS)
    b = generate_trajectory(cams, pts, "loop", seed=7, num_frames=150, fps=FPS)
    c = generate_trajectory(cams, pts, "loop", seed=8, num_frames=150, fps=FPS)
    np.testing.assert_array_equal(a.c2w, b.c2w)
    assert a.revisit_fraction == b.revisit_fraction
    assert not np.allclose(a.c2w, c.c2w)


@pytest.mark.parametrize("kind", ["out_and_back", "loop", "look_around"])
def test_revisit_heavy_kinds_revisit(room_scene, kind: str) -> None:
    cams, pts = room_scene
    fractions = [generate_trajectory(cams, pts, kind, s, 150, FPS).revisit_fraction for s in (0, 1)]
    assert min(fractions) >= 0.25, fractions


def test_unknown_kind_and_empty_region(room_scene) -> None:
    cams, pts = room_scene
    with pytest.raises(ValueError, match="unknown trajectory kind"):
        generate_trajectory(cams, pts, "spiral", 0, 30, FPS)
    line = cams.copy()
    line[:, :3, 3] = np.linspace(0, 1, len(cams))[:, None] * np.array([1.0, 0.0, 0.0])  # collinear centres
    with pytest.raises(ValueError, match="span no area"):
        generate_trajectory(line, pts, "loop", 0, 30, FPS)


def test_a_narrow_corridor_keeps_its_middle(room_scene) -> None:
    cams, _ = room_scene
    corridor = cams.copy()
    t = np.linspace(0, 4, len(cams))
    corridor[:, :3, 3] = np.stack([t, 0.05 * np.sin(7 * t), np.zeros_like(t)], 1)  # 4 m long, ~10 cm wide
    region = reachable_region(corridor, margin_frac=0.1)
    assert 0 < region.margin < 0.1 * region.extent
    assert region.inside(region.sample_inside(np.random.default_rng(0))[None]).all()


def test_paths_keep_clear_of_an_obstacle(room_scene) -> None:
    cams, pts = room_scene
    region = reachable_region(cams)
    centre = region.to_world(region.centres_uv.mean(axis=0), 0.0)
    uv = np.random.default_rng(0).uniform(-0.12, 0.12, size=(4000, 2)) * region.extent  # [4000, 2]
    lo, hi = region.height_band
    h = np.linspace(lo - 1.0, hi + 1.0, 4000)[:, None]  # [4000, 1]
    pillar = centre + uv[:, :1] * region.e1 + uv[:, 1:] * region.e2 + h * region.up  # [4000, 3]
    scene = np.concatenate([pts, pillar])  # a wide block of points in the middle of the reachable region
    rejected = 0
    for seed in range(4):
        traj = generate_trajectory(cams, scene, "loop", seed, 150, FPS)
        assert cKDTree(scene).query(traj.c2w[:, :3, 3])[0].min() >= traj.clearance_limit
        rejected += traj.extras["rejected"].get("too close to the points", 0)
    assert rejected > 0  # the check did turn draws down
