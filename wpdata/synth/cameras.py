"""Camera helpers for the z-up synthetic world: OpenCV c2w from eye + yaw/pitch/roll, pinhole K, projection.

Yaw is measured in the world xy plane from +x towards +y, pitch is positive looking up, roll turns the
image clockwise. Pixel (row r, col c) covers [c, c + 1) x [r, r + 1) with its centre at (c + 0.5, r + 0.5),
the convention of COLMAP, nerfstudio and gsplat, so K exports unchanged and scales exactly with the image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pose_from_yaw_pitch", "yaw_pitch_of", "intrinsics", "project", "axis_angle_to_R"]


def axis_angle_to_R(v: np.ndarray) -> np.ndarray:
    """Rodrigues: rotation vectors (axis * angle, rad) to matrices."""  # [..., 3] -> [..., 3, 3]
    v = np.asarray(v, np.float64)
    theta = np.linalg.norm(v, axis=-1)[..., None, None]
    k = v / np.maximum(theta[..., 0], 1e-12)
    kx = np.zeros(v.shape[:-1] + (3, 3))
    kx[..., 0, 1], kx[..., 0, 2], kx[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    kx[..., 1, 0], kx[..., 2, 0], kx[..., 2, 1] = k[..., 2], -k[..., 1], k[..., 0]
    eye = np.broadcast_to(np.eye(3), kx.shape)
    return eye + np.sin(theta) * kx + (1 - np.cos(theta)) * (kx @ kx)


def pose_from_yaw_pitch(eye, yaw, pitch, roll=0.0) -> np.ndarray:
    """OpenCV c2w looking along (yaw, pitch) from ``eye``; broadcast over leading dims."""  # -> [..., 4, 4]
    eye = np.asarray(eye, np.float64)
    yaw, pitch, roll = (np.asarray(a, np.float64) for a in (yaw, pitch, roll))
    shape = np.broadcast_shapes(eye.shape[:-1], yaw.shape, pitch.shape, roll.shape)
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    fwd = np.stack(np.broadcast_arrays(cp * cy, cp * sy, sp), -1)  # [..., 3]
    right = np.stack(np.broadcast_arrays(sy, -cy, np.zeros_like(sy)), -1)
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd], -1)  # columns: camera x, y, z in world
    R = R @ axis_angle_to_R(np.stack(np.broadcast_arrays(0 * roll, 0 * roll, roll), -1))
    out = np.zeros(shape + (4, 4))
    out[..., :3, :3] = R
    out[..., :3, 3] = eye
    out[..., 3, 3] = 1.0
    return out


def yaw_pitch_of(c2w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw and pitch (rad) of the optical axis of OpenCV c2w poses."""
    f = np.asarray(c2w)[..., :3, 2]
    return np.arctan2(f[..., 1], f[..., 0]), np.arcsin(np.clip(f[..., 2], -1, 1))


def intrinsics(width: int, height: int, hfov_deg: float = 70.0) -> np.ndarray:
    """Square-pixel pinhole K with the principal point at the image centre."""  # [3, 3]
    if width <= 0 or height <= 0 or not 1.0 < hfov_deg < 179.0:
        raise ValueError(f"bad camera: {width}x{height}, hfov {hfov_deg}")
    f = (width / 2) / np.tan(np.radians(hfov_deg) / 2)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)


def project(K: np.ndarray, c2w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points to continuous pixel coords (pixel index = floor); returns (xy [N, 2], camera z [N])."""
    R, c = c2w[:3, :3], c2w[:3, 3]
    Xc = (np.asarray(X, np.float64) - c) @ R  # [N, 3] = R^T (X - c)
    z = Xc[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        xy = (Xc[:, :2] / z[:, None]) * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
    return xy, z
