"""Which source frames a decode returns: a frame range [start, stop) and an optional target frame rate."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from wpdata.video.errors import VideoError


def check_request(
    path: str | Path, start: int, end: int | None, size: tuple[int, int] | None, fps: float | None
) -> None:
    """Raise VideoError for a malformed decode request (negative start, end < start, bad size or fps)."""
    if start < 0:
        raise VideoError(path, f"start frame {start} is negative")
    if end is not None and end < start:
        raise VideoError(path, f"end frame {end} is before start frame {start}")
    if size is not None and (len(size) != 2 or int(size[0]) < 1 or int(size[1]) < 1):
        raise VideoError(path, f"size must be (width, height) with both >= 1, got {size}")
    if fps is not None and not (0 < fps <= 1000 and math.isfinite(fps)):
        raise VideoError(path, f"target fps must be in (0, 1000], got {fps}")


def target_indices(start: int, stop: int | None, src_fps: float, dst_fps: float | None) -> Iterator[int]:
    """Source frame indices to return, ascending (repeats when upsampling), lazily.

    Without `dst_fps` every frame of [start, stop). With it, the source frame nearest to each target
    timestamp `start / src_fps + k / dst_fps` (k = 0, 1, ...) that lies before `stop`.
    """
    k = 0
    while True:
        idx = start + k if dst_fps is None else start + int(math.floor(k * src_fps / dst_fps + 0.5))
        if stop is not None and idx >= stop:
            return
        yield idx
        k += 1


def count_targets(start: int, stop: int, src_fps: float, dst_fps: float | None) -> int:
    """Number of indices `target_indices` yields for a bounded range."""
    if dst_fps is None:
        return max(0, stop - start)
    return sum(1 for _ in target_indices(start, stop, src_fps, dst_fps))


def select(
    indexed_frames: Iterator[tuple[int, object]], targets: Iterator[int]
) -> Iterator[tuple[int, object]]:
    """Match a stream of (source index, frame) against ascending target indices.

    A frame is yielded once per target equal to its index; targets whose frame never appears (a gap
    in the stream) are skipped. Stops as soon as the targets are exhausted.
    """
    want = next(targets, None)
    if want is None:
        return
    for idx, frame in indexed_frames:
        while want is not None and want < idx:
            want = next(targets, None)
        if want is None:
            return
        while want == idx:
            yield idx, frame
            want = next(targets, None)
        if want is None:
            return
