"""Checks that make a bad scene fail early with a clear message (a `failed` row, not a crash later)."""

from __future__ import annotations

import numpy as np

from .data import SceneData
from .errors import SceneError


def validate_scene(scene: SceneData, min_images: int = 3) -> SceneData:
    """Raise SceneError for non-finite / non-rigid poses, bad intrinsics or fewer than ``min_images``."""
    n = scene.num_images
    where = f"scene {scene.root} ({scene.source_format})"
    if n < min_images:
        raise SceneError(
            f"{where}: {n} usable images, need at least {min_images} "
            f"(listed {scene.num_listed}, missing {scene.num_missing}, skipped {scene.num_skipped})"
        )
    if scene.c2w.shape != (n, 4, 4) or scene.K.shape != (n, 3, 3):
        raise SceneError(f"{where}: c2w {scene.c2w.shape} / K {scene.K.shape} do not match {n} images")
    if len(scene.widths) != n or len(scene.heights) != n:
        raise SceneError(f"{where}: image sizes do not match {n} images")
    bad = np.nonzero(~np.isfinite(scene.c2w).all(axis=(1, 2)))[0]
    if len(bad):
        raise SceneError(f"{where}: non-finite camera pose for images {bad[:10].tolist()}")
    R = scene.c2w[:, :3, :3]  # [N, 3, 3]
    err = np.abs(R @ np.swapaxes(R, 1, 2) - np.eye(3)).max(axis=(1, 2))  # [N]
    if (err > 1e-3).any():
        raise SceneError(
            f"{where}: camera rotations not orthonormal for images {np.nonzero(err > 1e-3)[0][:10].tolist()}"
        )
    if not np.isfinite(scene.K).all() or (scene.K[:, 0, 0] <= 0).any() or (scene.K[:, 1, 1] <= 0).any():
        raise SceneError(f"{where}: non-finite or non-positive focal lengths")
    if (np.asarray(scene.widths) <= 0).any() or (np.asarray(scene.heights) <= 0).any():
        raise SceneError(f"{where}: non-positive image size")
    if len(scene.points) and not np.isfinite(scene.points).all():
        keep = np.isfinite(scene.points).all(axis=1)
        scene.points, scene.point_colors = scene.points[keep], scene.point_colors[keep]
    return scene
