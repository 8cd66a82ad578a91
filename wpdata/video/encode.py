"""Encode RGB frames to an H.264 (libx264, yuv420p) mp4 with PyAV, atomically.

yuv420p needs an even width and height: frames of odd size are padded by one pixel on the right /
bottom edge, replicating the edge pixels (the stored size is then rounded up to even).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from manifests.atomic import atomic_path
from manifests.h264 import x264_options
from wpdata.video.errors import VideoError
from wpdata.video.probe import check_dimensions


def _as_rgb(frame: np.ndarray, path: Path, index: int) -> np.ndarray:
    """Validate one frame and return it as [H, W, 3] uint8 with even H and W (edge-padded)."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise VideoError(path, f"frame {index}: dtype {frame.dtype}, expected uint8")
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise VideoError(path, f"frame {index}: shape {frame.shape}, expected [H, W, 3] RGB")
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    if pad_h or pad_w:
        frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return np.ascontiguousarray(frame)


def frame_rate(fps: float | Fraction) -> Fraction:
    """fps as a Fraction with a small denominator (29.97 -> 2997/100, 30000/1001 stays)."""
    if isinstance(fps, Fraction):
        return fps
    if not (0 < float(fps) <= 1000):
        raise ValueError(f"fps must be in (0, 1000], got {fps}")
    return Fraction(float(fps)).limit_denominator(1001)


def write_mp4(
    path: str | Path,
    frames: np.ndarray | Iterable[np.ndarray],
    fps: float,
    crf: int = 18,
    preset: str = "veryfast",
    *,
    threads: int = 0,
    gop_size: int | None = None,
) -> Path:
    """Write frames ([T, H, W, 3] uint8 RGB, or an iterable of [H, W, 3]) as H.264 yuv420p mp4 at `fps`.

    The file appears under its final name only when complete (temp name in the same folder, then
    os.replace); `+faststart` puts the index first. `threads` > 0 pins encoder threads so the bytes
    are the same on every run (x264 options from `manifests.h264`); `gop_size` sets the keyframe
    interval. Returns the path.
    """
    out = Path(path)
    try:
        rate = frame_rate(fps)
    except (ValueError, TypeError) as exc:
        raise VideoError(out, str(exc)) from exc
    count = 0
    try:
        with (
            atomic_path(out, suffix=".mp4") as tmp,
            av.open(
                str(tmp), mode="w", format="mp4", container_options={"movflags": "+faststart"}
            ) as container,
        ):
            stream = None
            for count, raw in enumerate(frames):
                rgb = _as_rgb(raw, out, count)  # [H, W, 3] uint8
                if stream is None:
                    check_dimensions(out, rgb.shape[1], rgb.shape[0])
                    stream = container.add_stream("libx264", rate=rate)
                    stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                    stream.pix_fmt = "yuv420p"
                    stream.codec_context.time_base = 1 / rate
                    stream.codec_context.thread_count = threads
                    stream.options = {"crf": str(int(crf)), "preset": preset, **x264_options()}
                    if gop_size is not None:
                        stream.codec_context.gop_size = int(gop_size)
                elif (rgb.shape[1], rgb.shape[0]) != (stream.width, stream.height):
                    raise VideoError(
                        out,
                        f"frame {count}: size {rgb.shape[1]}x{rgb.shape[0]} != {stream.width}x{stream.height}",
                    )
                vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                vf.pts = count
                container.mux(stream.encode(vf))
            if stream is None:
                raise VideoError(out, "no frames to write")
            container.mux(stream.encode(None))
    except av.error.FFmpegError as exc:
        raise VideoError(
            out, f"encoding failed at frame {count}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    return out
