"""Probe a video file: size, rate, frame count, codec, rotation, audio; reject files no job should touch."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av

from wpdata.video.container import (
    DEFAULT_OPEN_TIMEOUT_S,
    MAX_FPS,
    open_input,
    stream_duration_s,
    stream_fps,
    stream_num_frames,
    video_stream,
)
from wpdata.video.errors import VideoError

MIN_SIDE = 2
MAX_SIDE = 16384
MAX_AREA = 16384 * 16384 // 4


@dataclass(frozen=True)
class VideoInfo:
    """What `probe` found out about one video (or image sequence).

    `rotation` is the display rotation in degrees counter-clockwise (0, 90, 180 or 270), as in the
    container's display matrix: `np.rot90(frame, k=rotation // 90)` turns a decoded frame upright.
    `width`/`height` are the stored (coded) frame size, before that rotation.
    """

    path: str
    duration_s: float
    fps: float
    num_frames: int
    width: int
    height: int
    codec: str
    rotation: int
    has_audio: bool
    pix_fmt: str | None
    bit_rate: int | None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (for a manifest row or JSON)."""
        return asdict(self)


def normalize_rotation(degrees: float | int | str | None) -> int:
    """Any rotation angle -> the nearest of 0, 90, 180, 270 (counter-clockwise)."""
    if degrees is None or degrees == "":
        return 0
    return int(round(float(degrees) / 90.0)) % 4 * 90


def check_dimensions(
    path: str | Path,
    width: int,
    height: int,
    min_side: int = MIN_SIDE,
    max_side: int = MAX_SIDE,
    max_area: int = MAX_AREA,
) -> None:
    """Raise VideoError for frame sizes outside [min_side, max_side] or above max_area pixels."""
    if (
        width < min_side
        or height < min_side
        or width > max_side
        or height > max_side
        or width * height > max_area
    ):
        raise VideoError(
            path,
            f"absurd dimensions {width}x{height} (allowed sides {min_side}..{max_side}, area <= {max_area})",
        )


def _frames_in_file(stream: av.video.stream.VideoStream, size_bytes: int) -> tuple[int, int] | None:
    """(packets whose bytes lie inside the file, packets the index lists); None without an index."""
    entries = stream.index_entries
    if entries is None or len(entries) == 0:
        return None
    inside = sum(1 for e in entries if e.pos >= 0 and e.pos + e.size <= size_bytes)
    return inside, len(entries)


def _first_frame_rotation(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path
) -> int:
    """Decode the first frame (proves the stream decodes) and return its display rotation."""
    try:
        for frame in container.decode(stream):
            return normalize_rotation(frame.rotation)
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"undecodable: {getattr(exc, 'strerror', None) or exc}") from exc
    raise VideoError(path, "no decodable frame")


def probe(
    path: str | Path,
    *,
    min_frames: int = 1,
    min_side: int = MIN_SIDE,
    max_side: int = MAX_SIDE,
    max_area: int = MAX_AREA,
    decode_first: bool = True,
    timeout_s: float = DEFAULT_OPEN_TIMEOUT_S,
) -> VideoInfo:
    """Probe `path` and validate it; raise VideoError naming the file and the problem.

    Frame count: the container's, else the counted packets (demux only), else duration * fps.
    `decode_first` decodes one frame to read the rotation and to prove the stream decodes.
    """
    p = Path(path)
    size_bytes = p.stat().st_size if p.is_file() else 0
    with open_input(p, timeout_s) as container:
        stream = video_stream(container, p)
        cc = stream.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        check_dimensions(p, width, height, min_side, max_side, max_area)
        fps = stream_fps(stream)
        num_frames, stated = stream_num_frames(container, stream, p, fps, timeout_s)
        duration = stream_duration_s(container, stream)
        if fps is None and duration and num_frames > 0:
            fps = num_frames / duration
        if fps is None or not (0 < fps <= MAX_FPS) or not math.isfinite(fps):
            raise VideoError(p, f"frame rate missing or absurd ({fps})")
        if duration is None:
            duration = num_frames / fps
        if stated:
            present = _frames_in_file(stream, size_bytes)
            if present is not None and present[0] < present[1]:
                raise VideoError(
                    p, f"truncated: only {present[0]} of {present[1]} frames are inside the file"
                )
        if num_frames < min_frames:
            raise VideoError(
                p, f"only {num_frames} frame{'s' if num_frames != 1 else ''} (need >= {min_frames})"
            )
        rotation = _first_frame_rotation(container, stream, p) if decode_first else 0
        if rotation == 0 and "rotate" in stream.metadata:
            rotation = normalize_rotation(-float(stream.metadata["rotate"]))  # legacy tag is clockwise
        bit_rate = container.bit_rate or cc.bit_rate or None
        return VideoInfo(
            path=str(p),
            duration_s=float(duration),
            fps=float(fps),
            num_frames=int(num_frames),
            width=width,
            height=height,
            codec=str(cc.name),
            rotation=rotation,
            has_audio=len(container.streams.audio) > 0,
            pix_fmt=cc.pix_fmt,
            bit_rate=int(bit_rate) if bit_rate else None,
        )
