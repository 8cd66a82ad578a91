"""Scale normalisation rules: gauge-free results, composition, refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from wpdata.poses import PoseTrack, normalise_scale
from wpdata.synth import intrinsics, pose_from_yaw_pitch


def _track(gauge: float = 1.0, depth: float | None = 7.0) -> PoseTrack:
    T = 9
    eye = np.column_stack([np.linspace(0, 2, T), np.sin(np.arange(T)), np.full(T, 1.6)]) * gauge
    c2w = pose_from_yaw_pitch(eye, np.linspace(0, 0.4, T), np.zeros(T))
    K = np.broadcast_to(intrinsics(64, 48), (T, 3, 3))
    md = None if depth is None else depth * gauge
    return PoseTrack(c2w, K, 64, 48, "colmap", np.ones(T, bool), median_depth=md)


def test_median_depth_rule_removes_the_reconstruction_gauge() -> None:
    a = normalise_scale(_track(gauge=1.0), "median_depth")
    b = normalise_scale(_track(gauge=13.0), "median_depth")
    np.testing.assert_allclose(a.c2w, b.c2w, atol=1e-12)
    assert a.median_depth == pytest.approx(1.0) and a.scale_rule == "median_depth"
    assert b.scale == pytest.approx(1 / (7 * 13))
    np.testing.assert_array_equal(a.c2w[:, :3, :3], _track().c2w[:, :3, :3])  # rotations untouched


def test_auto_picks_depth_for_estimates_and_keeps_given_poses() -> None:
    est = normalise_scale(_track(), target=5.0)
    assert est.scale_rule == "median_depth" and est.median_depth == pytest.approx(5.0)
    given = dataclasses.replace(_track(depth=None), source="sekai")
    kept = normalise_scale(given)
    assert kept.scale_rule == "given" and kept.scale == 1.0
    np.testing.assert_array_equal(kept.c2w, given.c2w)


def test_path_length_rule_and_composition() -> None:
    tr = _track()
    a = normalise_scale(tr, "path_length", target=2.0)
    assert a.path_length() == pytest.approx(2.0)
    b = normalise_scale(a, "median_depth")
    assert b.scale == pytest.approx(1 / 7.0)  # total factor w.r.t. the original translations


def test_refusals() -> None:
    with pytest.raises(ValueError, match="unknown scale rule"):
        normalise_scale(_track(), "metric")
    with pytest.raises(ValueError, match="needs a positive median_depth"):
        normalise_scale(_track(depth=None), "median_depth")
    with pytest.raises(ValueError, match="unknown parameter"):
        normalise_scale(_track(), "median_depth", depth=2.0)
    still = _track()
    still.c2w[:, :3, 3] = 0.0
    with pytest.raises(ValueError, match="does not move"):
        normalise_scale(still, "path_length")
