"""Scene normalisation as gsplat's example trainer: a similarity from the cameras, then the points'
principal axes (and a flip so that most points lie below the median height).

Ported from gsplat ``examples/datasets/normalize.py`` because that module is part of gsplat's
examples, not of the installed package. The returned 4x4 similarity maps original world points to
normalised ones (``x' = T @ x``); ``denormalize_c2w`` maps normalised cameras back.
"""

from __future__ import annotations

import numpy as np

from .data import SceneData


def similarity_from_cameras(c2w: np.ndarray) -> np.ndarray:
    """Similarity [4, 4]: mean camera up rotated onto -y, cameras' focus at 0, median distance 1."""
    R, t = c2w[:, :3, :3], c2w[:, :3, 3]  # [N, 3, 3], [N, 3]
    world_up = (R @ np.array([0.0, -1.0, 0.0])).mean(0)  # OpenCV camera up is -y
    world_up /= np.linalg.norm(world_up)
    up_cam = np.array([0.0, -1.0, 0.0])
    c = float(up_cam @ world_up)
    cross = np.cross(world_up, up_cam)
    skew = np.array([[0.0, -cross[2], cross[1]], [cross[2], 0.0, -cross[0]], [-cross[1], cross[0], 0.0]])
    R_align = np.eye(3) + skew + skew @ skew / (1 + c) if c > -1 else np.diag([-1.0, 1.0, 1.0])
    fwds = (R_align @ R)[:, :, 2]  # [N, 3] viewing directions
    t = t @ R_align.T
    nearest = t + ((fwds * -t).sum(-1))[:, None] * fwds  # closest point to the origin on each ray
    translate = -np.median(nearest, axis=0)
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R_align, translate
    dist = np.median(np.linalg.norm(t + translate, axis=-1))
    T[:3, :] *= 1.0 / max(float(dist), 1e-12)
    return T


def align_principal_axes(points: np.ndarray) -> np.ndarray:
    """Rigid [4, 4] moving the points' median to 0 and their principal axes onto x, y, z (largest first)."""
    centroid = np.median(points, axis=0)
    evals, evecs = np.linalg.eigh(np.cov(points - centroid, rowvar=False))
    evecs = evecs[:, np.argsort(evals)[::-1]]
    if np.linalg.det(evecs) < 0:
        evecs[:, 0] *= -1
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = evecs.T, -evecs.T @ centroid
    return T


def transform_c2w(T: np.ndarray, c2w: np.ndarray) -> np.ndarray:
    """Cameras [N, 4, 4] under similarity ``T`` (rotation part re-orthonormalised by the scale)."""
    out = T @ c2w
    out[:, :3, :3] /= np.linalg.norm(T[0, :3])
    return out


def transform_points(T: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """Points [P, 3] under ``T``."""
    return xyz @ T[:3, :3].T + T[:3, 3]


def normalize_scene(scene: SceneData, use_points: bool = True) -> tuple[SceneData, np.ndarray]:
    """(normalised copy of the scene, similarity T [4, 4] original -> normalised)."""
    T = similarity_from_cameras(scene.c2w)
    pts = transform_points(T, scene.points)
    if use_points and len(pts) >= 4:
        T2 = align_principal_axes(pts)
        pts = transform_points(T2, pts)
        T = T2 @ T
        if np.median(pts[:, 2]) > np.mean(pts[:, 2]):  # upside down: flip z (rotate 180 deg about x)
            T3 = np.diag([1.0, -1.0, -1.0, 1.0])
            pts, T = transform_points(T3, pts), T3 @ T
    out = scene.subset(list(range(scene.num_images)))
    out.c2w, out.points = transform_c2w(T, scene.c2w), pts
    out.train_idx, out.test_idx = list(scene.train_idx), list(scene.test_idx)
    return out, T


def denormalize_c2w(T: np.ndarray, c2w: np.ndarray) -> np.ndarray:
    """Normalised cameras [N, 4, 4] back to the original world."""
    return transform_c2w(np.linalg.inv(T), c2w)
