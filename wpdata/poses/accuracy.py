"""Accuracy of an estimated trajectory against a reference: ATE after Sim(3) alignment of the camera
centres (wpdata.geometry, matching evo) relative to the reference path length, and orientation errors
after the best global rotation between the two sets of orientations (the chordal L2 mean of
R_ref_i R_est_i^T, scipy `Rotation.mean`). Orientations are aligned on their own because a rotation
fitted to centres alone is ill-determined about the direction of a nearly straight path."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.geometry import align_trajectory, ate


def rotation_errors_deg(ref_c2w: np.ndarray, est_c2w: np.ndarray) -> np.ndarray:
    """Angle (deg) of R_ref^T R_est per pose [N] for poses [N, 4, 4] in the same world frame."""
    R = np.swapaxes(ref_c2w[:, :3, :3], 1, 2) @ est_c2w[:, :3, :3]  # [N, 3, 3]
    cos = (np.trace(R, axis1=1, axis2=2) - 1.0) / 2.0
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def pose_errors(ref_c2w: np.ndarray, est_c2w: np.ndarray) -> dict[str, float]:
    """Errors of est [N, 4, 4] vs ref [N, 4, 4]: orientations after a global rotation, centres after Sim(3).

    Keys: rot_median_deg, rot_max_deg, ate_rmse (reference units), path_length, ate_rel
    (ate_rmse / path_length), sim3_scale; the ATE values are NaN when the reference centres are
    degenerate for Sim(3) alignment (a camera turning on the spot).
    """
    ref = np.asarray(ref_c2w, dtype=np.float64)
    est = np.asarray(est_c2w, dtype=np.float64)
    path = float(np.linalg.norm(np.diff(ref[:, :3, 3], axis=0), axis=1).sum())
    try:
        _, (_, _, s) = align_trajectory(est, ref, with_scale=True)
        rmse = ate(ref, est, align="sim3")["rmse"]
    except ValueError:  # the reference camera does not move (or moves on a line): no Sim(3) exists
        s, rmse = float("nan"), float("nan")
    R_align = Rotation.from_matrix(ref[:, :3, :3] @ np.swapaxes(est[:, :3, :3], 1, 2)).mean().as_matrix()
    est_rot = est.copy()
    est_rot[:, :3, :3] = R_align @ est[:, :3, :3]
    rot = rotation_errors_deg(ref, est_rot)  # [N]
    return {
        "rot_median_deg": float(np.median(rot)),
        "rot_max_deg": float(np.max(rot)),
        "ate_rmse": float(rmse),
        "path_length": path,
        "ate_rel": float(rmse / path) if path > 0 else float("nan"),
        "sim3_scale": float(s),
    }
