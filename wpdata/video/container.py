"""Open a media file with PyAV and read the facts of its video stream, turning every failure into VideoError.

Shared by `probe`, `decode` and `trim` so that all three open files, pick the stream and compute the
frame rate and frame count the same way.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import av.container

from wpdata.video.errors import VideoError

MAX_FPS = 1000.0
DEFAULT_OPEN_TIMEOUT_S = 10.0


def _ffmpeg_message(exc: BaseException) -> str:
    """The short FFmpeg message of a PyAV error (without the repeated file name)."""
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).strip()


@contextmanager
def open_input(
    path: str | Path, timeout_s: float = DEFAULT_OPEN_TIMEOUT_S
) -> Iterator[av.container.InputContainer]:
    """Open `path` for reading; raise VideoError for a missing, empty or non-media file."""
    p = Path(path)
    if not p.exists():
        raise VideoError(p, "no such file")
    if p.is_dir():
        raise VideoError(p, "is a directory, not a video file")
    if p.stat().st_size == 0:
        raise VideoError(p, "zero-byte file")
    try:
        container = av.open(os.fspath(p), mode="r", timeout=(timeout_s, timeout_s))
    except av.error.ExitError as exc:
        raise VideoError(p, f"timed out after {timeout_s:g} s opening") from exc
    except av.error.FFmpegError as exc:
        raise VideoError(p, f"not a video: {_ffmpeg_message(exc)}") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(p, f"not a video: {exc}") from exc
    try:
        yield container
    finally:
        container.close()


def video_stream(container: av.container.InputContainer, path: str | Path) -> av.video.stream.VideoStream:
    """The first video stream; VideoError when there is none (e.g. an audio-only file)."""
    streams = container.streams.video
    if not streams:
        kinds = sorted({s.type for s in container.streams})
        what = " + ".join(kinds) + " only" if kinds else "no streams at all"
        raise VideoError(path, f"no video stream ({what})")
    return streams[0]


def stream_fps(stream: av.video.stream.VideoStream) -> float | None:
    """Average frame rate, falling back to the guessed and base rates; None when none is plausible."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and 0 < float(rate) <= MAX_FPS:
            return float(rate)
    return None


def stream_duration_s(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    """Stream duration in seconds, else the container's; None when neither is known."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def count_packets(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: str | Path,
    timeout_s: float,
) -> int:
    """Count the video packets by demuxing (no decoding), for containers that do not store a frame count."""
    deadline = time.monotonic() + timeout_s
    n = 0
    try:
        for packet in container.demux(stream):
            if packet.size > 0:
                n += 1
            if time.monotonic() > deadline:
                raise VideoError(path, f"timed out after {timeout_s:.0f} s counting packets")
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"unreadable while counting packets: {_ffmpeg_message(exc)}") from exc
    container.seek(0)
    return n


def stream_num_frames(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: str | Path,
    fps: float | None,
    timeout_s: float,
) -> tuple[int, bool]:
    """(frame count, whether the container stated it): stream.frames, else counted packets, else duration*fps."""
    if stream.frames and stream.frames > 0:
        return int(stream.frames), True
    counted = count_packets(container, stream, path, timeout_s)
    if counted > 0:
        return counted, False
    duration = stream_duration_s(container, stream)
    if duration is not None and fps is not None:
        return int(math.floor(duration * fps + 0.5)), False
    return 0, False


def frame_index(pts: int | None, stream: av.video.stream.VideoStream, fps: float) -> int | None:
    """Source frame index of a presentation timestamp (constant frame rate assumed); None without pts."""
    if pts is None or stream.time_base is None:
        return None
    start = stream.start_time or 0
    return int(math.floor(float((pts - start) * stream.time_base) * fps + 0.5))


def frame_pts(index: int, stream: av.video.stream.VideoStream, fps: float) -> int:
    """Presentation timestamp (stream time base) of source frame `index`."""
    start = stream.start_time or 0
    return start + int(Fraction(index) / Fraction(fps).limit_denominator(100_000) / stream.time_base)
