"""Revisit-heavy trajectories inside a reconstructed scene, from its training cameras and points.

Scale-free defaults (fractions of the camera extent, the hull's diameter): walking speed 0.1 / s,
hull margin 0.1, clearance 0.05 (but never more than half the training cameras' median clearance,
which they had in fact), view distance of the revisit measure 0.5; turn rate 60 deg / s. A kind's
keyframes are drawn, smoothed to ``num_frames`` at ``fps`` and checked (every frame in the shrunk
hull, clearance >= the limit, speed and turn rate within limits); failures are drawn again (smaller
after a limit failure) until ``max_attempts``. The seed makes the result deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wpdata.camera_paths.kinds import TRAJECTORY_KINDS, Budget, Unplaceable
from wpdata.camera_paths.reachable import PointClearance, Reachable, reachable_region
from wpdata.camera_paths.revisit import revisit_fraction, revisit_mask
from wpdata.camera_paths.smooth import dense_path, key_times, motion_rates, poses_from_plane

__all__ = ["PathLimits", "Trajectory", "generate_trajectory", "evaluate_trajectory", "clearance_limit"]


@dataclass(frozen=True)
class PathLimits:
    """Scale-free generator parameters (lengths as fractions of the camera extent)."""

    speed_frac: float = 0.1  # max speed, extent / s
    turn_rate_deg: float = 60.0  # max rotation rate, deg / s
    margin_frac: float = 0.1  # hull shrink
    clearance_frac: float = 0.05  # min distance to the points (capped, see clearance_limit)
    view_frac: float = 0.5  # revisit measure's ball radius and view distance
    min_gap_s: float = 2.0  # a revisit looks back at least this long
    max_attempts: int = 200


@dataclass
class Trajectory:
    """A generated (or user-supplied) camera path and its revisit / clearance statistics."""

    c2w: np.ndarray  # [T, 4, 4] OpenCV float64
    kind: str
    seed: int
    revisit_fraction: float
    min_clearance: float
    revisit_mask: np.ndarray  # [T] bool
    fps: float = 30.0
    clearance_limit: float = 0.0
    extras: dict = field(default_factory=dict)


def clearance_limit(
    region: Reachable, clearance: PointClearance, cameras_c2w: np.ndarray, frac: float
) -> float:
    """min(frac x extent, half the training cameras' median clearance)."""
    train = clearance.distances(np.asarray(cameras_c2w)[:, :3, 3])  # [N]
    return float(min(frac * region.extent, 0.5 * np.median(train)))


def evaluate_trajectory(
    c2w: np.ndarray, points: np.ndarray, extent: float, fps: float, kind: str = "user", seed: int = 0,
    limits: PathLimits = PathLimits(), clearance: PointClearance | None = None,
) -> Trajectory:  # fmt: skip
    """Statistics of a given path c2w [T, 4, 4] (e.g. a user's file) in a scene of camera extent ``extent``."""
    c2w = np.asarray(c2w, np.float64)
    clearance = clearance or PointClearance(points)
    mask = revisit_mask(c2w, fps, limits.view_frac * extent, limits.min_gap_s)
    return Trajectory(
        c2w, kind, seed, revisit_fraction(mask), float(clearance.distances(c2w[:, :3, 3]).min()), mask, fps
    )


def generate_trajectory(
    cameras_c2w: np.ndarray,
    points: np.ndarray,
    kind: str,
    seed: int,
    num_frames: int,
    fps: float,
    limits: PathLimits = PathLimits(),
    region: Reachable | None = None,
    clearance: PointClearance | None = None,
) -> Trajectory:
    """A ``kind`` path of ``num_frames`` at ``fps`` inside the scene of cameras [N, 4, 4] and points [P, 3].

    ``region`` / ``clearance`` may be passed in to reuse them across trajectories of one scene.
    Raises ValueError when no draw passes the checks within ``limits.max_attempts``.
    """
    if kind not in TRAJECTORY_KINDS:
        raise ValueError(f"unknown trajectory kind {kind!r}; expected one of {sorted(TRAJECTORY_KINDS)}")
    region = region or reachable_region(cameras_c2w, limits.margin_frac)
    clearance = clearance or PointClearance(points)
    min_clear = clearance_limit(region, clearance, cameras_c2w, limits.clearance_frac)
    speed = limits.speed_frac * region.extent
    turn_rate = np.radians(limits.turn_rate_deg)
    duration = (num_frames - 1) / fps
    rng = np.random.default_rng([seed, sorted(TRAJECTORY_KINDS).index(kind)])
    size, reasons = 1.0, {}
    for _ in range(limits.max_attempts):
        budget = Budget(speed * duration * size / 1.15, turn_rate * duration * size / 1.15)
        try:
            uv_k, yaw_k = TRAJECTORY_KINDS[kind](region, rng, budget)
        except Unplaceable as exc:
            reasons[str(exc)] = reasons.get(str(exc), 0) + 1
            continue
        uv, yaw = dense_path(key_times(uv_k, yaw_k, speed, turn_rate), uv_k, yaw_k, num_frames, fps)
        lo, hi = region.height_band
        c2w = poses_from_plane(region, uv, rng.uniform(lo, hi), yaw, region.pitch)  # [T, 4, 4]
        v, w = motion_rates(c2w, fps)
        over = max(v.max() / speed, w.max() / turn_rate)
        if over > 1.0:
            size = max(size / over * 0.95, 0.3)
            reasons["too fast for the frame budget"] = reasons.get("too fast for the frame budget", 0) + 1
            continue
        if not region.inside(uv).all():
            reasons["left the reachable region"] = reasons.get("left the reachable region", 0) + 1
            continue
        dist = clearance.distances(c2w[:, :3, 3])  # [T]
        if dist.min() < min_clear:
            reasons["too close to the points"] = reasons.get("too close to the points", 0) + 1
            continue
        mask = revisit_mask(c2w, fps, limits.view_frac * region.extent, limits.min_gap_s)
        return Trajectory(
            c2w, kind, seed, revisit_fraction(mask), float(dist.min()), mask, fps, min_clear,
            {"max_speed": float(v.max()), "max_turn_rate": float(w.max()), "speed_limit": speed,
             "turn_rate_limit": float(turn_rate), "extent": region.extent, "rejected": dict(reasons)},
        )  # fmt: skip
    raise ValueError(f"no {kind} trajectory passed the checks in {limits.max_attempts} draws: {reasons}")
