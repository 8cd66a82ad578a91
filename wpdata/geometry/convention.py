"""The project camera convention (OpenCV c2w 4x4, float64) and SE(3) helpers.

OpenCV camera axes: x right, y down, z forward. OpenGL / nerfstudio / Blender: x right, y up,
z backward; the two differ by a right-multiplication with diag(1, -1, -1, 1).
"""

from __future__ import annotations

import numpy as np

FLIP_YZ = np.diag([1.0, -1.0, -1.0, 1.0])  # [4, 4] OpenGL <-> OpenCV camera axes


def as_se3(T: np.ndarray, name: str = "pose") -> np.ndarray:
    """Validate and return a float64 copy of a [4, 4] or [N, 4, 4] pose array."""
    T = np.array(T, dtype=np.float64)
    if T.ndim not in (2, 3) or T.shape[-2:] != (4, 4):
        raise ValueError(f"{name} must have shape [4, 4] or [N, 4, 4], got {T.shape}")
    if not np.all(np.isfinite(T)):
        raise ValueError(f"{name} contains non-finite values")
    return T


def make_se3(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Stack rotations [..., 3, 3] and translations [..., 3] into [..., 4, 4] transforms."""
    R = np.asarray(R, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    T = np.zeros(R.shape[:-2] + (4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = t
    T[..., 3, 3] = 1.0
    return T


def opengl_to_opencv(c2w: np.ndarray) -> np.ndarray:
    """OpenGL-convention c2w [N, 4, 4] or [4, 4] -> OpenCV-convention c2w (same shape)."""
    return as_se3(c2w, "c2w") @ FLIP_YZ


def opencv_to_opengl(c2w: np.ndarray) -> np.ndarray:
    """OpenCV-convention c2w [N, 4, 4] or [4, 4] -> OpenGL-convention c2w (same shape)."""
    return as_se3(c2w, "c2w") @ FLIP_YZ


def invert_se3(T: np.ndarray) -> np.ndarray:
    """Closed-form inverse of rigid transforms [N, 4, 4] or [4, 4]."""
    T = as_se3(T, "T")
    R = T[..., :3, :3]
    Rt = np.swapaxes(R, -1, -2)
    t = T[..., :3, 3:]  # [..., 3, 1]
    out = np.zeros_like(T)
    out[..., :3, :3] = Rt
    out[..., :3, 3:] = -Rt @ t
    out[..., 3, 3] = 1.0
    return out


def relative_poses(c2w: np.ndarray) -> np.ndarray:
    """Consecutive relative poses [N, 4, 4]: rel[i] = inv(c2w[i-1]) @ c2w[i], rel[0] = I."""
    c2w = as_se3(c2w, "c2w")
    if c2w.ndim != 3 or len(c2w) == 0:
        raise ValueError(f"relative_poses needs a non-empty [N, 4, 4] array, got {c2w.shape}")
    rel = np.empty_like(c2w)
    rel[0] = np.eye(4)
    rel[1:] = invert_se3(c2w[:-1]) @ c2w[1:]
    return rel


def recenter(c2w: np.ndarray) -> np.ndarray:
    """Express poses [N, 4, 4] relative to the first: inv(c2w[0]) @ c2w[i] (so out[0] = I)."""
    c2w = as_se3(c2w, "c2w")
    if c2w.ndim != 3 or len(c2w) == 0:
        raise ValueError(f"recenter needs a non-empty [N, 4, 4] array, got {c2w.shape}")
    return invert_se3(c2w[0]) @ c2w


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = (0.0, -1.0, 0.0)) -> np.ndarray:
    """OpenCV c2w [4, 4] of a camera at `eye` looking at `target`; `up` is the world up direction.

    The camera's +z points at the target, its -y (image up) is as close to `up` as possible.
    The default `up` = -y suits an OpenCV-style world (y down); pass (0, 0, 1) for a z-up world.
    """
    eye = np.asarray(eye, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    up = np.asarray(up, dtype=np.float64)
    z = target - eye
    if np.linalg.norm(z) < 1e-12:
        raise ValueError("look_at: eye and target coincide")
    z /= np.linalg.norm(z)
    x = np.cross(z, up)  # camera y (down) ~ -up, and x = y x z = z x up
    if np.linalg.norm(x) < 1e-12:
        raise ValueError("look_at: viewing direction is parallel to `up`")
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return make_se3(np.stack([x, y, z], axis=1), eye)
