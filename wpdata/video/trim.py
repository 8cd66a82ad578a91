"""Cut [start_s, end_s) out of a video: frame-exact by re-encoding (default) or by stream copy at keyframes.

Both write video only (audio is dropped) and write atomically (temp name, then os.replace).
"""

from __future__ import annotations

import math
from pathlib import Path

import av

from manifests.atomic import atomic_path
from wpdata.video.container import frame_pts, open_input, stream_fps, video_stream
from wpdata.video.decode import iter_frames
from wpdata.video.encode import write_mp4
from wpdata.video.errors import VideoError
from wpdata.video.probe import VideoInfo, probe


def frame_span(info: VideoInfo, start_s: float, end_s: float) -> tuple[int, int]:
    """Source frames [first, stop) whose timestamps i / fps lie in [start_s, end_s), clamped to the video."""
    if not (0 <= start_s < end_s):
        raise VideoError(info.path, f"bad trim span [{start_s}, {end_s}) s: need 0 <= start < end")
    first = math.ceil(start_s * info.fps - 1e-6)
    stop = min(math.ceil(end_s * info.fps - 1e-6), info.num_frames)
    if first >= stop:
        raise VideoError(
            info.path, f"trim span [{start_s}, {end_s}) s holds no frame of the {info.duration_s:.3f} s video"
        )
    return first, stop


def is_conformant(
    info: VideoInfo, width: int, height: int, codec: str = "h264", pix_fmt: str | None = "yuv420p"
) -> bool:
    """True when the video already has the wanted codec, size and pixel format and no rotation (copy it)."""
    return (
        info.codec == codec
        and (info.width, info.height) == (width, height)
        and info.rotation == 0
        and (pix_fmt is None or info.pix_fmt == pix_fmt)
    )


def _stream_copy(src: Path, dst: Path, start_s: float, end_s: float) -> None:
    """Copy the packets from the keyframe at or before start_s up to end_s, timestamps shifted to 0."""
    try:
        with open_input(src) as inp, atomic_path(dst, suffix=".mp4") as tmp:
            stream = video_stream(inp, src)
            fps = stream_fps(stream) or 30.0
            start_pts = frame_pts(math.ceil(start_s * fps - 1e-6), stream, fps)
            end_pts = frame_pts(math.ceil(end_s * fps - 1e-6), stream, fps)
            inp.seek(start_pts, stream=stream, backward=True, any_frame=False)
            with av.open(str(tmp), "w", format="mp4", container_options={"movflags": "+faststart"}) as out:
                ostream = out.add_stream_from_template(stream)
                offset, n = None, 0
                for packet in inp.demux(stream):
                    if packet.dts is None or packet.pts is None:
                        continue
                    if offset is None:
                        if not packet.is_keyframe:
                            continue
                        offset = packet.pts
                    if packet.pts >= end_pts:
                        if packet.is_keyframe:
                            break
                        continue  # reordered B-frame beyond the end: skip, later packets may still belong
                    packet.pts -= offset
                    packet.dts -= offset
                    packet.stream = ostream
                    out.mux(packet)
                    n += 1
                if n == 0:
                    raise VideoError(src, f"stream copy of [{start_s}, {end_s}) s found no packets")
    except av.error.FFmpegError as exc:
        raise VideoError(src, f"stream copy failed: {getattr(exc, 'strerror', None) or exc}") from exc


def trim(
    src: str | Path,
    dst: str | Path,
    start_s: float,
    end_s: float,
    reencode: bool = True,
    *,
    crf: int = 18,
    preset: str = "veryfast",
    timeout_s: float = 600.0,
) -> Path:
    """Write frames of `src` with timestamps in [start_s, end_s) to the mp4 `dst` and return `dst`.

    reencode=True: frame-exact (decode + libx264 at the source frame rate); end_s past the end is
    clamped. reencode=False: stream copy, approximate: starts at the keyframe at or before start_s.
    """
    src, dst = Path(src), Path(dst)
    info = probe(src)
    first, stop = frame_span(info, start_s, end_s)
    if not reencode:
        _stream_copy(src, dst, start_s, end_s)
        return dst
    frames = iter_frames(src, first, stop, timeout_s=timeout_s)  # yields [H, W, 3] uint8
    return write_mp4(dst, frames, info.fps, crf=crf, preset=preset)
