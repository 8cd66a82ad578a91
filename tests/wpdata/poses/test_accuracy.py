"""pose_errors: invariant to a similarity transform of the estimate, sensitive to real errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import apply_sim3
from wpdata.poses import pose_errors
from wpdata.synth import pose_from_yaw_pitch


def _walk(T: int = 30) -> np.ndarray:
    t = np.arange(T) / 10
    eye = np.column_stack([t, 0.5 * np.sin(t), 1.6 + 0.1 * np.cos(2 * t)])
    return pose_from_yaw_pitch(eye, 0.3 * np.sin(t), 0.1 * np.cos(t))


def test_similarity_transformed_estimate_has_no_error() -> None:
    gt = _walk()
    est = apply_sim3(
        gt, Rotation.from_euler("xyz", [20, -40, 75], degrees=True).as_matrix(), np.array([3, -1, 2.0]), 0.2
    )
    err = pose_errors(gt, est)
    assert err["rot_median_deg"] < 1e-6 and err["ate_rel"] < 1e-9
    assert err["sim3_scale"] == pytest.approx(5.0)


def test_orientation_and_position_errors_are_measured() -> None:
    gt = _walk()
    est = gt.copy()
    wobble = np.where(
        np.arange(len(gt)) % 2 == 0, 2.0, -2.0
    )  # deg, alternating: no global rotation absorbs it
    est[:, :3, :3] = est[:, :3, :3] @ Rotation.from_euler("y", wobble[:, None], degrees=True).as_matrix()
    est[::2, 0, 3] += 0.05
    err = pose_errors(gt, est)
    assert err["rot_median_deg"] == pytest.approx(2.0, abs=0.05)
    assert 0.001 < err["ate_rel"] < 0.02


def test_turning_on_the_spot_has_no_ate() -> None:
    gt = pose_from_yaw_pitch(np.array([1.0, 2.0, 1.6]), np.linspace(0, 1, 10), np.zeros(10))
    err = pose_errors(gt, gt)
    assert np.isnan(err["ate_rel"]) and err["rot_median_deg"] < 1e-6
