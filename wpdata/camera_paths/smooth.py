"""Keyframes -> a smooth camera path at fps, with walking-speed and turn-rate limits.

Positions (plane coordinates) and the heading (unwrapped yaw) are interpolated with shape-preserving
piecewise-cubic splines (scipy PchipInterpolator, C1): unlike a C2 CubicSpline / RotationSpline they
never overshoot a keyframe, so a camera that holds still or turns in place really does, and the path
between two keyframes stays in their bounding box (the reachable-region and clearance checks then hold
between samples as well). The camera stays level (no roll) at a fixed pitch, as a walking camera does.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from wpdata.camera_paths.reachable import Reachable

__all__ = ["key_times", "dense_path", "poses_from_plane", "motion_rates"]


def key_times(
    uv: np.ndarray, yaw: np.ndarray, speed: float, turn_rate: float, min_seg_s: float = 0.3
) -> np.ndarray:
    """Keyframe times (s, from 0): each segment lasts max(distance / speed, |turn| / turn_rate, min_seg_s): [K].

    Only the ratios matter once ``dense_path`` stretches them to the frame budget; the caller then
    checks the sampled path's peak speed and turn rate (a Hermite segment peaks above its chord rate).
    """
    uv, yaw = np.asarray(uv, np.float64), np.asarray(yaw, np.float64)
    if len(uv) < 2 or len(yaw) != len(uv):
        raise ValueError(f"need >= 2 keyframes with one yaw each, got {len(uv)} and {len(yaw)}")
    dist = np.linalg.norm(np.diff(uv, axis=0), axis=1)  # [K-1]
    turn = np.abs(np.diff(yaw))  # [K-1]
    dt = np.maximum(np.maximum(dist / speed, turn / turn_rate), min_seg_s)
    return np.concatenate([[0.0], np.cumsum(dt)])


def dense_path(
    times: np.ndarray, uv: np.ndarray, yaw: np.ndarray, num_frames: int, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Keyframes stretched to last exactly (num_frames - 1) / fps, sampled at fps: (uv [T, 2], yaw [T])."""
    if num_frames < 2 or fps <= 0:
        raise ValueError(f"need num_frames >= 2 and fps > 0, got {num_frames}, {fps}")
    times = np.asarray(times, np.float64)
    t = times * ((num_frames - 1) / fps / times[-1])  # [K]
    s = np.arange(num_frames) / fps  # [T]
    s[-1] = t[-1]
    pos = PchipInterpolator(t, np.asarray(uv, np.float64), axis=0)(s)  # [T, 2]
    head = PchipInterpolator(t, np.asarray(yaw, np.float64))(s)  # [T]
    return pos, head


def poses_from_plane(
    region: Reachable, uv: np.ndarray, h: float, yaw: np.ndarray, pitch: float
) -> np.ndarray:
    """Level OpenCV c2w [T, 4, 4] at plane points uv [T, 2], height h, heading yaw [T] (from e1 towards e2)."""
    yaw = np.asarray(yaw, np.float64)
    flat = np.cos(yaw)[:, None] * region.e1 + np.sin(yaw)[:, None] * region.e2  # [T, 3]
    z = np.cos(pitch) * flat + np.sin(pitch) * region.up  # [T, 3] forward
    x = np.cross(z, region.up)  # [T, 3] right
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(z, x)  # [T, 3] down
    c2w = np.tile(np.eye(4), (len(yaw), 1, 1))
    c2w[:, :3, :3] = np.stack([x, y, z], axis=2)
    c2w[:, :3, 3] = region.to_world(uv, h)
    return c2w


def motion_rates(c2w: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-step speed (scene units / s) and rotation rate (rad / s) of poses c2w [T, 4, 4]: ([T-1], [T-1])."""
    c2w = np.asarray(c2w, np.float64)
    speed = np.linalg.norm(np.diff(c2w[:, :3, 3], axis=0), axis=1) * fps
    rel = np.einsum("tji,tjk->tik", c2w[:-1, :3, :3], c2w[1:, :3, :3])  # R_t^T R_{t+1}
    cos = np.clip((np.trace(rel, axis1=1, axis2=2) - 1.0) / 2.0, -1.0, 1.0)
    return speed, np.arccos(cos) * fps
