"""Sample a span of a video (or image folder) as small gray analysis frames, and a few RGB frames.

Everything decodes through `wpdata.video`. `skip_nonref=True` asks the decoder to skip
non-reference frames (PyAV `skip_frame="NONREF"`), which `wpdata.video.iter_frames` does not
offer; that path opens the container with the `wpdata.video.container` helpers and picks, for each
target time, the nearest decoded frame (indices then come from timestamps, constant rate assumed).
`threads` is the decoder's thread count everywhere (0: FFmpeg chooses; a Ray stage passes its cpus).
That path converts with one `VideoReformatter` per output format for the whole decode: PyAV's
`frame.to_ndarray(width=...)` builds a new swscale context for every frame, which cost more than the
conversion itself (~1 of ~1.4 ms per 720p frame and format); the pixels are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from wpdata.video import VideoError, iter_frames, probe, probe_image_sequence
from wpdata.video.container import frame_index, frame_pts, open_input, video_stream
from wpdata.video.sampling import target_indices

__all__ = ["AnalysisFrames", "analysis_size", "rgb_frames", "sample_frames", "source_info"]


@dataclass
class AnalysisFrames:
    """Gray frames of one span at analysis resolution, with where they came from."""

    gray: np.ndarray  # [N, h, w] uint8
    indices: np.ndarray  # [N] int64 source frame indices
    times: np.ndarray  # [N] float64 seconds (index / src_fps)
    src_fps: float
    src_size: tuple[int, int]  # (width, height) of the source
    scale: float  # analysis width / source width
    chroma: np.ndarray | None = None  # [N, h/2, w/2, 2] uint8 (Cb, Cr) at half resolution, when asked

    def __len__(self) -> int:
        return int(self.gray.shape[0])


def analysis_size(src_size: tuple[int, int], width: int) -> tuple[int, int]:
    """(w, h) for analysis: `width` (never upscaled), height keeping the aspect ratio, both even."""
    sw, sh = src_size
    w = min(int(width), int(sw))
    h = max(2, int(round(sh * w / sw / 2.0)) * 2)
    return max(2, w - w % 2), h


def _split_yuv420(a: np.ndarray, w: int, h: int) -> np.ndarray:
    """The (Cb, Cr) planes [h/2, w/2, 2] uint8 of a packed yuv420p array [3h/2, w] (PyAV's layout)."""
    flat = a.reshape(-1)
    n = (h // 2) * (w // 2)
    u = flat[h * w : h * w + n].reshape(h // 2, w // 2)
    v = flat[h * w + n : h * w + 2 * n].reshape(h // 2, w // 2)
    return np.stack([u, v], axis=-1)


def _rgb_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gray [h, w] and (Cb, Cr) [h/2, w/2, 2] uint8 of an RGB frame [h, w, 3] (decodes without yuv planes),
    chroma in the studio range (16-240) the decoder's yuv420p planes use."""
    h, w = rgb.shape[:2]
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)  # [h, w, 3] (Y, Cr, Cb)
    half = cv2.resize(ycc[..., 1:], (w // 2, h // 2), interpolation=cv2.INTER_AREA)  # [h/2, w/2, 2] (Cr, Cb)
    studio = 128.0 + (half[..., ::-1].astype(np.float32) - 128.0) * (224.0 / 255.0)  # the decoder's range
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.round(studio).astype(np.uint8)


def _stack_chroma(uv: list[np.ndarray] | None, size: tuple[int, int]) -> np.ndarray:
    """[N, h/2, w/2, 2] uint8 of the kept chroma planes (an empty array when none decoded)."""
    return np.stack(uv) if uv else np.zeros((0, size[1] // 2, size[0] // 2, 2), np.uint8)


def source_info(path: str | Path, source_fps: float | None) -> tuple[float, tuple[int, int], int]:
    """(fps, (width, height), num_frames) of a video file or image folder."""
    path = Path(path)
    if path.is_dir():
        if source_fps is None:
            raise VideoError(path, "an image folder needs source_fps")
        info = probe_image_sequence(path, source_fps)
    else:  # the container's facts only: the decode that follows proves the stream decodes
        info = probe(path, decode_first=False)
    return float(info.fps), (int(info.width), int(info.height)), int(info.num_frames)


def _small(reformatter: VideoReformatter, frame: av.VideoFrame, fmt: str, w: int, h: int) -> np.ndarray:
    """`frame` as `fmt` at (w, h) with swscale's AREA filter, on one thread (PyAV's to_ndarray layout)."""
    return reformatter.reformat(
        frame, width=w, height=h, format=fmt, interpolation="AREA", threads=1
    ).to_ndarray()


def _nonref_frames(
    path: Path,
    start: int,
    end: int,
    targets: list[int],
    fps: float,
    size: tuple[int, int],
    threads: int = 0,
    chroma: list[np.ndarray] | None = None,
    on_gray: Callable[[np.ndarray], None] | None = None,
    skip_loop_filter: bool = False,
    on_frame: Callable[[int, av.VideoFrame], None] | None = None,
) -> tuple[list[np.ndarray], list[int]]:
    """Decode reference frames only; per target index keep the nearest one (each at most once), as gray [h, w]
    (and, into `chroma` when given, its (Cb, Cr) planes [h/2, w/2, 2]). `on_frame` sees every decoded
    frame of [start, end) up to the last target, with its source index."""
    grays: list[np.ndarray] = []
    kept: list[int] = []
    w, h = size
    to_gray, to_yuv = VideoReformatter(), VideoReformatter()  # each keeps its swscale context

    def keep(idx: int, frame: av.VideoFrame) -> None:
        if not kept or kept[-1] != idx:
            grays.append(_small(to_gray, frame, "gray", w, h))
            if chroma is not None:  # a second small conversion: gray keeps swscale's own full-range Y
                chroma.append(_split_yuv420(_small(to_yuv, frame, "yuv420p", w, h), w, h))
            kept.append(idx)
            if on_gray is not None:
                on_gray(grays[-1])

    pending = iter(targets)
    want = next(pending, None)
    prev: tuple[int, av.VideoFrame] | None = None
    with open_input(path) as container:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        stream.codec_context.skip_frame = "NONREF"
        if skip_loop_filter:  # no deblocking (H.264/HEVC): ~25% less decode; residue < 1 level at 1/4 size
            stream.codec_context.options = {**stream.codec_context.options, "skip_loop_filter": "all"}
        if start > 0:
            container.seek(frame_pts(start, stream, fps), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            idx = frame_index(frame.pts, stream, fps)
            if idx is None or idx < start:
                continue
            if idx >= end or want is None:
                break
            if on_frame is not None:
                on_frame(idx, frame)
            while want is not None and idx >= want:  # `want` lies between prev and this frame
                nearest = prev if prev is not None and want - prev[0] < idx - want else (idx, frame)
                keep(*nearest)
                want = next(pending, None)
            prev = (idx, frame)
    if want is not None and prev is not None:  # targets past the last reference frame
        keep(*prev)
    return grays, kept


def sample_frames(
    path: str | Path,
    start: int = 0,
    end: int | None = None,
    analysis_fps: float = 6.0,
    width: int = 320,
    source_fps: float | None = None,
    skip_nonref: bool = False,
    threads: int = 0,
    chroma: bool = False,
    on_gray: Callable[[np.ndarray], None] | None = None,
    skip_loop_filter: bool = False,
    info: tuple[float, tuple[int, int], int] | None = None,
    on_frame: Callable[[int, av.VideoFrame], None] | None = None,
) -> AnalysisFrames:
    """Frames [start, end) of `path`, gray, `width` pixels wide, every k-th source frame (image folders need source_fps).

    k = floor(src_fps / analysis_fps), so frames are evenly spaced at a rate of at least `analysis_fps`
    (15 fps -> every 2nd frame, 30 fps -> every 5th). With `skip_nonref` (video files only) the
    nearest reference frame stands in for each target, so spacing is only roughly even. `threads`:
    decoder threads (0 = automatic). `chroma`: also keep each frame's (Cb, Cr) planes at half resolution
    (from the decoder's yuv420p planes; decodes that only give RGB convert with OpenCV's BT.601).
    `skip_loop_filter` (with `skip_nonref`): decode without the deblocking filter.
    `info`: the source's ``source_info`` when the caller has it (saves probing again).
    `on_gray` is called with each kept gray frame [h, w] as soon as it is decoded, in order (work on
    consecutive frames can start while the rest decode). `on_frame` (reference-frame decode only) is
    called with (source index, full-size frame) of every frame that decode passes in [start, end), so a
    caller can take a few frames (e.g. keyframes) without a decode of its own.
    """
    p = Path(path)
    src_fps, src_size, num_frames = info if info is not None else source_info(p, source_fps)
    stop = num_frames if end is None else int(end)
    if num_frames > 0:
        stop = min(stop, num_frames)
    size = analysis_size(src_size, width)
    step = max(1, int(src_fps / analysis_fps + 1e-2))  # whole source frames: every pair spans the same time
    fps = None if step == 1 else src_fps / step
    uv: list[np.ndarray] | None = [] if chroma else None
    if skip_nonref and not p.is_dir():
        targets = list(target_indices(start, stop, src_fps, fps))
        grays, idx = _nonref_frames(
            p, start, stop, targets, src_fps, size, threads, uv, on_gray, skip_loop_filter, on_frame
        )
    else:
        idx = list(target_indices(start, stop, src_fps, fps))
        decoded = iter_frames(
            p,
            start,
            stop,
            size=size,
            fps=fps,
            gray=not chroma,
            threads=threads,
            source_fps=source_fps,
            strict=False,
        )
        grays, uv = [], [] if chroma else None
        for f in decoded:
            g, c = _rgb_planes(f) if chroma else (f, None)
            grays.append(g)
            if uv is not None:
                uv.append(c)
            if on_gray is not None:
                on_gray(g)
        idx = idx[: len(grays)]  # a truncated file yields fewer frames than targets
    gray = np.stack(grays) if grays else np.zeros((0, size[1], size[0]), np.uint8)  # [N, h, w] uint8
    indices = np.asarray(idx, dtype=np.int64)  # [N]
    return AnalysisFrames(
        gray=gray,
        indices=indices,
        times=indices.astype(np.float64) / src_fps,
        src_fps=src_fps,
        src_size=src_size,
        scale=size[0] / src_size[0],
        chroma=_stack_chroma(uv, size) if chroma else None,
    )


def rgb_frames(
    path: str | Path,
    indices: list[int] | np.ndarray,
    width: int = 640,
    source_fps: float | None = None,
    threads: int = 0,
    src_size: tuple[int, int] | None = None,
) -> np.ndarray:
    """The source frames at `indices` as RGB, `width` pixels wide: [M, H, W, 3] uint8 (M <= len(indices)).
    `src_size` (w, h), when the caller has probed the source already, saves probing it again."""
    p = Path(path)
    want = sorted({int(i) for i in indices})
    if src_size is None:
        _, src_size, _ = source_info(p, source_fps)
    size = analysis_size(src_size, width)
    if not want:
        return np.zeros((0, size[1], size[0], 3), np.uint8)
    wanted = set(want)
    out = [
        frame  # [H, W, 3] uint8
        for i, frame in enumerate(
            iter_frames(
                p, want[0], want[-1] + 1, size=size, threads=threads, source_fps=source_fps, strict=False
            ),
            want[0],
        )
        if i in wanted
    ]
    return np.stack(out) if out else np.zeros((0, size[1], size[0], 3), np.uint8)  # [M, H, W, 3] uint8
