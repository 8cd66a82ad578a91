"""Decode a scene's images at its chosen size: resize (cv2.INTER_AREA) and undistort to pinhole K."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .data import SceneData
from .errors import SceneError

_FISHEYE = ("k4", "omega", "sx1")


def _cv2_coeffs(dist: dict[str, float], where: str) -> np.ndarray | None:
    """OpenCV (k1, k2, p1, p2, k3) from named COLMAP / nerfstudio coefficients; None if all zero."""
    if any(k in dist and dist[k] != 0.0 for k in _FISHEYE):
        raise SceneError(f"{where}: fisheye / FOV distortion {sorted(dist)} is not supported")
    k1 = dist.get("k1", dist.get("k", 0.0))
    c = np.array([k1, dist.get("k2", 0.0), dist.get("p1", 0.0), dist.get("p2", 0.0), dist.get("k3", 0.0)])
    return None if not np.any(c) else c


def read_image(path: Path, width: int, height: int, K: np.ndarray, dist: dict[str, float]) -> np.ndarray:
    """One RGB image [height, width, 3] uint8, resized to the size and undistorted to pinhole ``K``."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SceneError(f"unreadable image: {path}")
    if bgr.shape[:2] != (height, width):
        bgr = cv2.resize(bgr, (int(width), int(height)), interpolation=cv2.INTER_AREA)
    coeffs = _cv2_coeffs(dist, str(path))
    if coeffs is not None:
        bgr = cv2.undistort(bgr, K, coeffs)
    return np.ascontiguousarray(bgr[..., ::-1])


def load_images(scene: SceneData) -> list[np.ndarray]:
    """All images of ``scene`` decoded ([H, W, 3] uint8 each); the in-memory ones when present."""
    if scene.images is not None:
        return scene.images
    return [
        read_image(
            p,
            int(scene.widths[i]),
            int(scene.heights[i]),
            scene.K[i],
            scene.distortion[i] if scene.distortion else {},
        )
        for i, p in enumerate(scene.image_paths)
    ]
