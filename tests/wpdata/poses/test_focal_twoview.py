"""Focal length from the fundamental matrices of moving view pairs; turning-only pairs give none; SfM uses it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.poses import SfMConfig
from wpdata.poses.estimate import _write_frames
from wpdata.poses.focal_twoview import (
    MIN_PAIRS,
    focal_from_fundamental,
    focal_from_two_views,
    two_view_focals,
)
from wpdata.poses.sfm import run_sfm
from wpdata.synth import intrinsics, make_world, walking, write_sekai_clip

from .test_focal import H, K, W, _pixels  # the same synthetic camera and projection


def _pair(euler_deg: tuple[float, float], t: tuple[float, float, float], seed: int, noise: float = 0.3):
    """Matched pixels (x1 [M, 2], x2 [M, 2]) of a scene 2-12 m deep from the origin and a turned, moved camera."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-6, 6, 3000), rng.uniform(-3, 3, 3000), rng.uniform(2, 12, 3000)])
    R2 = Rotation.from_euler("yx", euler_deg, degrees=True).as_matrix()
    x1, ok1 = _pixels(X, np.eye(3), np.zeros(3))
    x2, ok2 = _pixels(X, R2, np.asarray(t, dtype=np.float64))
    ok = ok1 & ok2
    return x1[ok] + rng.normal(0, noise, (ok.sum(), 2)), x2[ok] + rng.normal(0, noise, (ok.sum(), 2))


def test_exact_fundamental_matrix_gives_the_focal() -> None:
    R = Rotation.from_euler("yx", [10.0, 4.0], degrees=True).as_matrix()  # c2w rotation of view 2
    t = np.array([0.5, 0.1, 0.3])  # centre of view 2
    R21, t21 = R.T, -R.T @ t  # x_cam2 = R21 x_cam1 + t21
    tx = np.array([[0, -t21[2], t21[1]], [t21[2], 0, -t21[0]], [-t21[1], t21[0], 0]])
    F = np.linalg.inv(K).T @ tx @ R21 @ np.linalg.inv(K)
    f, gap = focal_from_fundamental(F / np.linalg.norm(F), (W / 2, H / 2), W)
    assert abs(f / K[0, 0] - 1) < 1e-3 and gap < 1e-4, (f, gap)


def test_moving_pairs_give_the_focal_within_two_percent() -> None:
    rng = np.random.default_rng(3)
    pairs = {}
    for i in range(24):
        yaw, pitch = rng.uniform(-15, 15), rng.uniform(-6, 6)
        t = (rng.uniform(-0.8, 0.8), rng.uniform(-0.2, 0.2), rng.uniform(-0.8, 0.8))
        pairs[(i, i + 1)] = _pair((yaw, pitch), t, i)
    focals = two_view_focals(pairs, W, H)
    f, used = focal_from_two_views(focals)
    assert used >= 20 and f is not None and abs(f / K[0, 0] - 1) < 0.02, (f, used, focals)


def test_pairs_that_only_turn_give_no_focal() -> None:
    pairs = {(i, i + 1): _pair((5.0 + i, 2.0), (0.0, 0.0, 0.0), i) for i in range(6)}
    focals = two_view_focals(pairs, W, H)
    assert focals == {}
    assert focal_from_two_views(focals) == (None, 0)


def test_too_few_pairs_give_no_focal() -> None:
    pairs = {(0, 1): _pair((8.0, 3.0), (0.5, 0.0, 0.4), 0), (1, 2): _pair((-6.0, 2.0), (0.3, 0.1, 0.6), 1)}
    f, used = focal_from_two_views(two_view_focals(pairs, W, H))
    assert f is None and used == 2


def test_same_matches_give_the_same_focal() -> None:
    pairs = {(i, i + 1): _pair((6.0 + i, 3.0), (0.4, 0.1, 0.5), i, noise=0.8) for i in range(5)}
    a = two_view_focals(pairs, W, H)
    cv2.setRNGSeed(123)  # the estimate reseeds: no dependence on the caller's RNG state
    assert two_view_focals(pairs, W, H) == a


@pytest.mark.slow
def test_sfm_on_a_walk_starts_from_the_two_view_focal(tmp_path: Path) -> None:
    """A walk with no turn on the spot: the focal comes from the moving pairs, and BA stays near it."""
    w, h, T = 320, 180, 48
    world = make_world(0, "street")
    c2w, Kw = walking(world, T, 24.0, seed=0), intrinsics(w, h)
    mp4 = write_sekai_clip(tmp_path / "clip", world, c2w, Kw, w, h, 24.0, "walk")
    sampled = np.arange(0, T, 2)  # [24]
    names = _write_frames(mp4, sampled, (w, h), tmp_path / "images")
    res = run_sfm(
        tmp_path / "images", names, tmp_path, SfMConfig(far_tri_angles=None, focal_two_view="refine"), None
    )
    assert res.focal_rotation is None and res.two_view_pairs >= MIN_PAIRS
    assert res.focal_two_view is not None and abs(res.focal_two_view / Kw[0, 0] - 1) < 0.03
    assert abs(res.K[0, 0] / Kw[0, 0] - 1) < 0.03 and len(res.c2w) >= 20
