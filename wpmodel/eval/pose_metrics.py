"""Rdist and Tdist: how far the camera of a generated video is from the commanded camera.

The paper (Table 2) gives Rdist / Tdist as the rotation / translation distance between the camera
poses estimated from the generated frames and the commanded ones, without a formula; this module
uses the closest documented definition (CameraCtrl's RotErr / TransErr, made gauge-free):

- Rdist: per frame, the geodesic angle (radians) ``arccos((tr(R_c^T R_e) - 1) / 2)`` between the
  commanded and estimated rotations taken relative to their own first frame (``R_0^T R_i``), which is
  independent of the arbitrary world frame of a reconstruction.
- Tdist: per frame, the distance between the commanded camera centre and the estimated one after a
  Sim(3) (Umeyama) alignment of the estimated centres onto the commanded ones, divided by the commanded
  trajectory's extent (largest distance of a commanded camera from the first), so it has no unit.

Reported: the per-frame values (for curves over time) and their means. Umeyama is written here with
scipy's Kabsch solver (``Rotation.align_vectors``) plus the closed-form scale, because wpmodel may not
import ``wpdata.geometry.umeyama`` (the two libraries are independent).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

MIN_EXTENT = 1e-9


@dataclass(frozen=True)
class PoseMetrics:
    """Rdist / Tdist of one trajectory (means and per frame); ``tdist`` is NaN with ``note`` set when
    the commanded camera does not move (no scale to align or normalise by)."""

    rdist: float  # mean geodesic angle, radians
    tdist: float  # mean aligned centre distance / commanded extent
    rdist_per_frame: np.ndarray = field(repr=False)  # [N] radians
    tdist_per_frame: np.ndarray = field(repr=False)  # [N]
    scale: float = float("nan")  # Sim(3) scale applied to the estimated centres
    extent: float = float("nan")  # commanded extent (commanded units)
    note: str = ""


def _poses(c2w: np.ndarray, name: str) -> np.ndarray:
    p = np.asarray(c2w, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (4, 4) or len(p) < 2 or not np.isfinite(p).all():
        raise ValueError(f"{name} must be finite c2w [N >= 2, 4, 4], got shape {p.shape}")
    return p


def geodesic_angles(R_a: np.ndarray, R_b: np.ndarray) -> np.ndarray:
    """Angle (radians) of ``R_a^T R_b`` per pair of rotations [N, 3, 3]: [N]."""
    R = np.swapaxes(R_a, 1, 2) @ R_b  # [N, 3, 3]
    return Rotation.from_matrix(R).magnitude()  # = arccos((tr R - 1) / 2), accurate near 0 too


def sim3_align(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(R [3, 3], t [3], s) minimising ``sum |dst - (s R src + t)|^2`` for points [N, 3] (Umeyama)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = dst - mu_d, src - mu_s  # [N, 3]
    if np.abs(b).max() < MIN_EXTENT or np.abs(a).max() < MIN_EXTENT:  # one of them is a single point
        R = np.eye(3)
        s = 0.0 if np.abs(b).max() < MIN_EXTENT else float(np.sum(a * b) / np.sum(b * b))
    else:
        with warnings.catch_warnings():  # collinear centres: the roll about the line is arbitrary,
            warnings.simplefilter("ignore", UserWarning)  # the aligned points are not
            rot, _ = Rotation.align_vectors(a, b)  # Kabsch: min sum |a - R b|^2
        R = rot.as_matrix()
        s = float(np.sum(a * (b @ R.T)) / np.sum(b * b))
    return R, mu_d - s * R @ mu_s, s


def pose_metrics(commanded_c2w: np.ndarray, estimated_c2w: np.ndarray) -> PoseMetrics:
    """Rdist / Tdist of estimated poses [N, 4, 4] against the commanded poses [N, 4, 4] (module doc)."""
    cmd, est = _poses(commanded_c2w, "commanded_c2w"), _poses(estimated_c2w, "estimated_c2w")
    if len(cmd) != len(est):
        raise ValueError(f"{len(cmd)} commanded poses but {len(est)} estimated ones")
    rel_c = np.swapaxes(cmd[:1, :3, :3], 1, 2) @ cmd[:, :3, :3]  # [N, 3, 3] R_0^T R_i
    rel_e = np.swapaxes(est[:1, :3, :3], 1, 2) @ est[:, :3, :3]  # [N, 3, 3]
    rot = geodesic_angles(rel_c, rel_e)  # [N]
    c, e = cmd[:, :3, 3], est[:, :3, 3]  # [N, 3] camera centres
    extent = float(np.linalg.norm(c - c[0], axis=1).max())
    if extent < MIN_EXTENT:
        nan = np.full(len(cmd), np.nan)
        note = "commanded camera does not move: Tdist undefined"
        return PoseMetrics(float(rot.mean()), float("nan"), rot, nan, extent=extent, note=note)
    R, t, s = sim3_align(e, c)
    trans = np.linalg.norm(c - (s * e @ R.T + t), axis=1) / extent  # [N]
    return PoseMetrics(float(rot.mean()), float(trans.mean()), rot, trans, scale=s, extent=extent)
