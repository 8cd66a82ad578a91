"""Export a clip to the training target: centre-crop to the target aspect, resize, H.264 at the source fps.

A clip that is a whole source already in the target format is stream-copied instead (no generation
loss). Crop + resize changes the intrinsics; :func:`crop_resize_K` applies the same change to a pixel K.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from wpdata.geometry import scale_K
from wpdata.video import is_conformant, iter_frames, probe, trim, write_mp4


@dataclass
class ExportResult:
    """What :func:`export_clip` wrote."""

    path: str
    width: int
    height: int
    fps: float
    num_frames: int
    method: str  # "copy" | "reencode"
    crop: tuple[int, int, int, int]  # x0, y0, w, h of the source region kept


def parse_size(text: str | tuple[int, int]) -> tuple[int, int]:
    """``"1280x720"`` -> (1280, 720); even sizes only (H.264 yuv420p)."""
    if isinstance(text, tuple):
        w, h = text
    else:
        try:
            w, h = (int(v) for v in str(text).lower().split("x"))
        except ValueError as exc:
            raise ValueError(f"target size must look like 1280x720, got {text!r}") from exc
    if w < 16 or h < 16 or w % 2 or h % 2:
        raise ValueError(f"target size must be even and >= 16, got {w}x{h}")
    return int(w), int(h)


def fit_crop(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """The centred (x0, y0, w, h) region of a src_w x src_h frame with the aspect of dst_w x dst_h."""
    if src_w * dst_h > dst_w * src_h:  # source wider: cut the sides
        w = int(round(src_h * dst_w / dst_h))
        return (src_w - w) // 2, 0, w, src_h
    h = int(round(src_w * dst_h / dst_w))
    return 0, (src_h - h) // 2, src_w, h


def crop_resize_K(K: np.ndarray, crop: tuple[int, int, int, int], dst_size: tuple[int, int]) -> np.ndarray:
    """Pixel K ([3, 3] or [N, 3, 3]) of the source -> K of the cropped and resized frames."""
    x0, y0, w, h = crop
    out = np.array(K, dtype=np.float64, copy=True)
    out[..., 0, 2] -= x0
    out[..., 1, 2] -= y0
    return scale_K(out, dst_size[0] / w, dst_size[1] / h)


def _resized(frames: Iterator[np.ndarray], crop: tuple[int, int, int, int], size: tuple[int, int]):
    x0, y0, w, h = crop
    for frame in frames:  # [H, W, 3] uint8
        part = frame[y0 : y0 + h, x0 : x0 + w]
        if (w, h) == size:
            yield np.ascontiguousarray(part)
            continue
        interp = cv2.INTER_AREA if w * h > size[0] * size[1] else cv2.INTER_LINEAR
        yield cv2.resize(part, size, interpolation=interp)  # [h', w', 3] uint8


def export_clip(
    src: str | Path,
    dst: str | Path,
    start: int,
    end: int,
    *,
    src_size: tuple[int, int],
    fps: float,
    target: tuple[int, int] = (1280, 720),
    whole_source: bool = False,
    source_fps: float | None = None,
    crf: int = 18,
    preset: str = "veryfast",
    threads: int = 1,
    decode_threads: int = 0,
) -> ExportResult:
    """Write source frames [start, end) to ``dst`` as target-sized H.264 mp4 at ``fps``.

    ``src_size`` is the source (width, height); ``whole_source`` allows a stream copy when the file
    is already conformant. ``threads`` pins the encoder (1: same bytes everywhere, one core a worker),
    ``decode_threads`` the decoder (0: automatic).
    """
    src, dst = Path(src), Path(dst)
    crop = fit_crop(src_size[0], src_size[1], target[0], target[1])
    if whole_source and src.is_file() and is_conformant(probe(src), target[0], target[1]):
        trim(src, dst, 0.0, (end + 1) / fps, reencode=False)
        return ExportResult(str(dst), target[0], target[1], fps, end - start, "copy", crop)
    frames = iter_frames(
        src, start, end, source_fps=source_fps, threads=decode_threads
    )  # yields [H, W, 3] uint8
    write_mp4(dst, _resized(frames, crop, target), fps, crf=crf, preset=preset, threads=threads)
    return ExportResult(str(dst), target[0], target[1], fps, end - start, "reencode", crop)
