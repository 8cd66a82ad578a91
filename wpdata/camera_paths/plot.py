"""A top-down PNG of a trajectory over the scene's points, revisited stretches marked (drawn with cv2).

The view frames the training cameras and the path with a quarter of the camera extent around them.
Colours: points grey, the reachable region (shrunk hull) pale green, training cameras blue, the path
dark grey with revisited frames red, heading ticks every second, start green dot, end black square.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from manifests.atomic import atomic_path
from wpdata.camera_paths.reachable import Reachable

__all__ = ["plot_trajectory"]

_BORDER = 16


def _mapper(uv_all: np.ndarray, size: int):
    lo, hi = uv_all.min(axis=0), uv_all.max(axis=0)
    scale = (size - 2 * _BORDER) / max(float((hi - lo).max()), 1e-9)

    def to_px(uv: np.ndarray) -> np.ndarray:  # [N, 2] plane -> [N, 2] int pixel (v up)
        p = (np.asarray(uv) - lo) * scale + _BORDER
        return np.stack([p[:, 0], size - 1 - p[:, 1]], -1).round().astype(np.int32)

    def to_uv(px: np.ndarray) -> np.ndarray:  # [N, 2] pixel -> plane
        return np.stack([px[:, 0] - _BORDER, size - 1 - px[:, 1] - _BORDER], -1) / scale + lo

    return to_px, to_uv


def plot_trajectory(
    path: str | os.PathLike,
    region: Reachable,
    points: np.ndarray,
    c2w: np.ndarray,
    revisit_mask: np.ndarray,
    fps: float,
    cameras_c2w: np.ndarray | None = None,
    size: int = 512,
) -> Path:
    """Draw the top-down plot of trajectory c2w [T, 4, 4] (mask [T]) over points [P, 3]; write PNG at ``path``."""
    c2w = np.asarray(c2w, np.float64)
    uv_t, _ = region.to_plane(c2w[:, :3, 3])  # [T, 2]
    uv_p, _ = region.to_plane(np.asarray(points, np.float64)[:: max(len(points) // 20000, 1)])  # [P', 2]
    frame = np.concatenate([uv_t, region.centres_uv])  # [T + N, 2]
    pad = 0.25 * region.extent  # show the points around the cameras and the path
    to_px, to_uv = _mapper(
        np.concatenate([frame.min(0, keepdims=True) - pad, frame.max(0, keepdims=True) + pad]), size
    )
    img = np.full((size, size, 3), 255, np.uint8)
    ys, xs = np.mgrid[0:size, 0:size]
    inside = region.inside(to_uv(np.stack([xs.ravel(), ys.ravel()], -1))).reshape(size, size)
    img[inside] = (215, 240, 215)
    pp = to_px(uv_p)
    ok = ((pp >= 0) & (pp < size)).all(axis=1)
    img[pp[ok, 1], pp[ok, 0]] = (150, 150, 150)
    for c in to_px(region.centres_uv):
        cv2.circle(img, (int(c[0]), int(c[1])), 3, (200, 80, 0), -1, cv2.LINE_AA)  # BGR blue
    px = to_px(uv_t)
    mask = np.asarray(revisit_mask, bool)
    for i in range(len(px) - 1):
        colour, width = ((0, 0, 220), 3) if mask[i + 1] else ((60, 60, 60), 1)
        cv2.line(img, tuple(map(int, px[i])), tuple(map(int, px[i + 1])), colour, width, cv2.LINE_AA)
    step = max(int(round(fps)), 1)
    tick = 0.04 * size  # heading tick length, pixels
    fwd_uv, _ = region.to_plane(c2w[:, :3, 3] + c2w[:, :3, 2])  # [T, 2]
    for i in range(0, len(px), step):
        d = fwd_uv[i] - uv_t[i]
        d = d / max(np.linalg.norm(d), 1e-9) * tick
        tip = (int(px[i, 0] + d[0]), int(px[i, 1] - d[1]))
        cv2.line(img, tuple(map(int, px[i])), tip, (160, 60, 160), 1, cv2.LINE_AA)
    cv2.circle(img, tuple(map(int, px[0])), 5, (0, 170, 0), -1, cv2.LINE_AA)
    cv2.rectangle(img, tuple(map(int, px[-1] - 4)), tuple(map(int, px[-1] + 4)), (0, 0, 0), 1)
    cv2.putText(
        img, f"revisit {mask.mean():.2f}", (6, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 220), 1, cv2.LINE_AA
    )
    with atomic_path(path, suffix=".png") as tmp:
        if not cv2.imwrite(str(tmp), img):
            raise OSError(f"could not write {path}")
    return Path(path)
