"""Image sequences (a folder of PNG/JPEG frames plus a frame rate) probed and decoded like a video.

Frames are ordered by natural name order (frame_2 before frame_10) and read with OpenCV; grayscale
and 16-bit images are expanded/scaled to 8-bit RGB (or read as 8-bit gray with `gray=True`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from wpdata.video.errors import VideoError
from wpdata.video.probe import VideoInfo, check_dimensions
from wpdata.video.sampling import check_request, select, target_indices

IMAGE_CODECS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}


def _natural_key(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_image_files(folder: str | Path) -> list[Path]:
    """PNG/JPEG files directly inside `folder`, in natural name order; VideoError when there are none."""
    d = Path(folder)
    if not d.is_dir():
        raise VideoError(d, "not a directory of images")
    files = [f for f in d.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_CODECS]
    if not files:
        raise VideoError(d, "no PNG/JPEG images in folder")
    return sorted(files, key=lambda f: _natural_key(f.name))


def read_image(path: Path, gray: bool = False) -> np.ndarray:
    """One image as uint8 RGB [H, W, 3] (or gray [H, W]); VideoError when unreadable."""
    flag = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
    img = cv2.imread(str(path), flag)
    if img is None:
        raise VideoError(path, "unreadable image")
    if img.dtype != np.uint8:
        img = (img >> 8).astype(np.uint8) if img.dtype == np.uint16 else img.astype(np.uint8)
    return img if gray else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def probe_image_sequence(folder: str | Path, fps: float, min_frames: int = 1) -> VideoInfo:
    """VideoInfo of an image folder: num_frames = file count, size and pixel format from the first image."""
    files = list_image_files(folder)
    if not (0 < fps <= 1000):
        raise VideoError(folder, f"frame rate missing or absurd ({fps})")
    codecs = {IMAGE_CODECS[f.suffix.lower()] for f in files}
    if len(codecs) > 1:
        raise VideoError(folder, f"mixed image formats {sorted(codecs)}")
    first = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)
    if first is None:
        raise VideoError(files[0], "unreadable image")
    height, width = first.shape[:2]
    check_dimensions(folder, width, height)
    if len(files) < min_frames:
        raise VideoError(
            folder, f"only {len(files)} frame{'s' if len(files) != 1 else ''} (need >= {min_frames})"
        )
    channels = 1 if first.ndim == 2 else first.shape[2]
    pix_fmt = {1: "gray", 3: "rgb24", 4: "rgba"}.get(channels, f"{channels}ch")
    if first.dtype == np.uint16:
        pix_fmt += "16"
    return VideoInfo(
        path=str(folder),
        duration_s=len(files) / fps,
        fps=float(fps),
        num_frames=len(files),
        width=int(width),
        height=int(height),
        codec=codecs.pop(),
        rotation=0,
        has_audio=False,
        pix_fmt=pix_fmt,
        bit_rate=None,
    )


def iter_image_frames(
    folder: str | Path,
    start: int = 0,
    end: int | None = None,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    gray: bool = False,
    *,
    source_fps: float | None = None,
    strict: bool = True,
    timeout_s: float = 600.0,
) -> Iterator[np.ndarray]:
    """Yield frames of an image folder: [H, W, 3] uint8 RGB (or [H, W] gray); `source_fps` needed with `fps`."""
    check_request(folder, start, end, size, fps)
    files = list_image_files(folder)
    if fps is not None and source_fps is None:
        raise VideoError(folder, "resampling an image folder to fps= needs its source_fps")
    if strict and end is not None and end > len(files):
        raise VideoError(folder, f"requested frames [{start}, {end}) but the folder has {len(files)} images")
    stop = len(files) if end is None else min(end, len(files))
    deadline = time.monotonic() + timeout_s
    targets = target_indices(start, stop, source_fps or 1.0, fps)
    indexed = ((i, files[i]) for i in range(start, stop))
    for _, file in select(indexed, targets):
        img = read_image(file, gray)  # [H, W, 3] uint8 RGB or [H, W]
        if size is not None and (img.shape[1], img.shape[0]) != tuple(size):
            shrink = size[0] * size[1] < img.shape[0] * img.shape[1]
            img = cv2.resize(img, tuple(size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        yield img
        if time.monotonic() > deadline:
            raise VideoError(folder, f"timed out after {timeout_s:.0f} s")
