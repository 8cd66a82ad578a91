"""Per-image records the readers collect, sized to a downscale factor, and assembled into SceneData."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from wpdata.geometry import scale_K

from .data import SceneData
from .errors import SceneError
from .split import split_every


class Frame(NamedTuple):
    """One posed image at full resolution as its source describes it."""

    path: Path  # image file to read (may be a pre-downscaled copy)
    c2w: np.ndarray  # [4, 4] float64 OpenCV
    K: np.ndarray  # [3, 3] pixel K at (width, height)
    width: int
    height: int
    distortion: dict[str, float]


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the image header; SceneError if it cannot be read."""
    try:
        with Image.open(path) as im:
            return int(im.size[0]), int(im.size[1])
    except OSError as e:
        raise SceneError(f"unreadable image: {path} ({e})") from None


def factor_size(width: int, height: int, factor: int) -> tuple[int, int]:
    """Image size after downscaling by ``factor`` (rounded, at least 1 pixel)."""
    return max(1, round(width / factor)), max(1, round(height / factor))


def scene_from_frames(
    frames: list[Frame],
    factor: int,
    source_format: str,
    root: Path,
    prescaled: bool,
    num_listed: int,
    num_missing: int,
    num_skipped: int = 0,
    points: np.ndarray | None = None,
    point_colors: np.ndarray | None = None,
    test_every: int = 8,
) -> SceneData:
    """SceneData with K scaled to the factor: from the file's own size when ``prescaled`` (images_N)."""
    if factor < 1:
        raise SceneError(f"downscale factor must be >= 1, got {factor}")
    K, widths, heights = [], [], []
    for f in frames:
        w, h = image_size(f.path) if prescaled else factor_size(f.width, f.height, factor)
        K.append(scale_K(f.K, w / f.width, h / f.height))
        widths.append(w)
        heights.append(h)
    train, test = split_every(len(frames), test_every)
    pts = np.zeros((0, 3)) if points is None else np.asarray(points, np.float64).reshape(-1, 3)
    cols = np.zeros((len(pts), 3), np.uint8) if point_colors is None else np.asarray(point_colors, np.uint8)
    return SceneData(
        image_paths=[f.path for f in frames],
        c2w=np.stack([f.c2w for f in frames]) if frames else np.zeros((0, 4, 4)),
        K=np.stack(K) if K else np.zeros((0, 3, 3)),
        widths=np.asarray(widths, np.int64),
        heights=np.asarray(heights, np.int64),
        points=pts,
        point_colors=cols,
        train_idx=train,
        test_idx=test,
        source_format=source_format,
        root=root,
        factor=factor,
        num_listed=num_listed,
        num_missing=num_missing,
        num_skipped=num_skipped,
        distortion=[f.distortion for f in frames],
    )
