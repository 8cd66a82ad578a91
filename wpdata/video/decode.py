"""Decode frames of a video file (PyAV) or an image folder into numpy arrays.

Frame indices are source frame numbers in presentation order. A request far into the file seeks to
the keyframe before `start` (frame numbers then come from timestamps, constant frame rate assumed)
and decoding stops once `end` is passed. Frames are converted by one `VideoReformatter` per call (PyAV's
`frame.to_ndarray(width=...)` sets up a new swscale context for every frame, ~1 ms per 720p frame here,
more than the conversion itself; the pixels are the same).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from wpdata.video.container import frame_index, frame_pts, open_input, stream_fps, video_stream
from wpdata.video.errors import VideoError
from wpdata.video.images import iter_image_frames, list_image_files, read_image
from wpdata.video.probe import normalize_rotation
from wpdata.video.sampling import check_request, count_targets, select, target_indices

SEEK_MIN_FRAMES = 1  # seek whenever start >= this; decoding from 0 is the fallback when seeking misses


def _indexed_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    fps: float,
    start: int,
    path: Path,
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yield (source frame index, frame), seeking to the keyframe before `start` when it is worth it."""
    first_idx = 0
    if start >= SEEK_MIN_FRAMES:
        container.seek(frame_pts(start, stream, fps), stream=stream, backward=True, any_frame=False)
        frames = container.decode(stream)
        first = next(frames, None)
        idx = None if first is None else frame_index(first.pts, stream, fps)
        if first is not None and idx is not None and idx <= start:
            yield idx, first
            for n, frame in enumerate(frames, start=idx + 1):
                yield n, frame
            return
        container.seek(0, stream=stream, backward=True, any_frame=False)  # seek missed: decode from 0
        first_idx = 0
    for n, frame in enumerate(container.decode(stream), start=first_idx):
        yield n, frame


def iter_frames(
    path: str | Path,
    start: int = 0,
    end: int | None = None,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    gray: bool = False,
    threads: int = 0,
    *,
    strict: bool = True,
    timeout_s: float = 600.0,
    autorotate: bool = False,
    source_fps: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield frames [start, end) of a video file or image folder: [H, W, 3] uint8 RGB, or [H, W] with `gray`.

    size: (width, height) to resize to. fps: resample by picking the source frame nearest to each
    target timestamp. threads: decoder threads (0 = automatic). strict: raise VideoError when fewer
    frames decode than were requested (truncated or corrupt file) instead of stopping quietly.
    timeout_s: wall-clock budget checked per frame. autorotate: apply the display rotation (after
    the resize, so `size` refers to the stored orientation). source_fps: frame rate of an image folder.
    """
    p = Path(path)
    if p.is_dir():
        yield from iter_image_frames(
            p, start, end, size, fps, gray, source_fps=source_fps, strict=strict, timeout_s=timeout_s
        )
        return
    check_request(p, start, end, size, fps)
    deadline = time.monotonic() + timeout_s
    with open_input(p, timeout_s=max(min(timeout_s, 60.0), 1.0)) as container:
        stream = video_stream(container, p)
        src_fps = stream_fps(stream)
        if src_fps is None:
            raise VideoError(p, "frame rate missing or absurd; cannot index frames")
        known = int(stream.frames) if stream.frames and stream.frames > 0 else None
        if strict and end is not None and known is not None and end > known:
            raise VideoError(p, f"requested frames [{start}, {end}) but the video has {known}")
        stop = end if end is not None else known
        expected = count_targets(start, stop, src_fps, fps) if stop is not None else None
        if expected == 0:
            return
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        fmt = "gray" if gray else "rgb24"
        width, height = (int(size[0]), int(size[1])) if size is not None else (None, None)
        shrink = (
            size is not None and width * height < stream.codec_context.width * stream.codec_context.height
        )
        interpolation = "AREA" if shrink else "BILINEAR"
        done = 0
        convert = VideoReformatter()  # keeps its swscale context; to_ndarray(width=) builds one per frame
        try:
            indexed = _indexed_frames(container, stream, src_fps, start, p)
            for _, frame in select(indexed, target_indices(start, stop, src_fps, fps)):
                small = convert.reformat(frame, width, height, fmt, interpolation=interpolation, threads=1)
                arr = small.to_ndarray()
                if autorotate and (k := normalize_rotation(frame.rotation) // 90):
                    arr = np.ascontiguousarray(np.rot90(arr, k=k))
                yield arr  # [H, W, 3] uint8 RGB or [H, W] uint8
                done += 1
                if time.monotonic() > deadline:
                    raise VideoError(p, f"timed out after {timeout_s:.0f} s (decoded {done} frames)")
        except av.error.FFmpegError as exc:
            if strict:
                msg = getattr(exc, "strerror", None) or exc
                raise VideoError(p, f"corrupt: decode failed after {done} frames: {msg}") from exc
        if strict and expected is not None and done < expected:
            raise VideoError(p, f"truncated: decoded {done} of {expected} frames")


def _empty(path: Path, size: tuple[int, int] | None, gray: bool) -> np.ndarray:
    """A [0, H, W, 3] (or [0, H, W]) uint8 array of the frame size a decode of `path` would return."""
    if size is not None:
        w, h = int(size[0]), int(size[1])
    elif path.is_dir():
        h, w = read_image(list_image_files(path)[0]).shape[:2]
    else:
        with open_input(path) as container:
            cc = video_stream(container, path).codec_context
            w, h = cc.width, cc.height
    return np.zeros((0, h, w) if gray else (0, h, w, 3), np.uint8)


def decode_frames(
    path: str | Path,
    start: int = 0,
    end: int | None = None,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    gray: bool = False,
    threads: int = 0,
    **kwargs: object,
) -> np.ndarray:
    """All frames `iter_frames` yields, stacked: [T, H, W, 3] uint8 RGB (or [T, H, W] when gray)."""
    frames = list(iter_frames(path, start, end, size, fps, gray, threads, **kwargs))
    if not frames:
        return _empty(Path(path), size, gray)
    return np.stack(frames)
