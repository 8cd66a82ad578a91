"""Frames for a captioner: a few RGB frames spread evenly across a clip, resized keeping the aspect ratio.

Frame i of N is the source frame at the centre of the i-th of N equal spans of the clip
(`floor((i + 0.5) * T / N)`), so the first and last frames (fades, cut leftovers) are avoided and a
clip of 4 spans gives frames at 1/8, 3/8, 5/8 and 7/8 of its length.

Decoding goes through `wpdata.video.iter_frames`, which seeks to the keyframe before its start. A
demux-only pass (packets, no decoding) lists the keyframes first; targets are grouped so that one
decode runs on from a target to the next when no keyframe lies between them, and a new seek starts
otherwise. So each decoded frame is decoded once and no decode runs across a keyframe it could
have jumped to: with 2 s GOPs 4 frames cost about 4 GOP halves, with one keyframe per clip about one
pass up to the last target (measured in benchmarks/caption_speed.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from wpdata.video import VideoError, iter_frames, list_image_files, probe
from wpdata.video.container import frame_index, open_input, stream_fps, video_stream

__all__ = ["caption_frame_indices", "caption_frames", "decode_groups", "fit_size", "keyframe_indices"]


def caption_frame_indices(num_source_frames: int, num_frames: int) -> list[int]:
    """Source frame indices (ascending, distinct) at the centres of `num_frames` equal spans of the clip."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    if num_source_frames < 1:
        raise ValueError(f"a clip needs at least one frame, got {num_source_frames}")
    idx = [int((i + 0.5) * num_source_frames / num_frames) for i in range(num_frames)]
    return sorted(set(min(i, num_source_frames - 1) for i in idx))


def fit_size(width: int, height: int, size: int | tuple[int, int] | None) -> tuple[int, int]:
    """(w, h) to decode at: `size` as given when a (w, h) pair, else the longer side capped at `size` (no upscaling)."""
    if size is None:
        return int(width), int(height)
    if isinstance(size, (tuple, list)):
        if len(size) != 2 or min(int(size[0]), int(size[1])) < 1:
            raise ValueError(f"size must be (width, height) with both >= 1, got {size}")
        return int(size[0]), int(size[1])
    max_side = int(size)
    if max_side < 1:
        raise ValueError(f"max side must be >= 1, got {size}")
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _clip_info(path: Path) -> tuple[int, int, int]:
    """(num_frames, width, height) of a video file or image folder."""
    if path.is_dir():
        files = list_image_files(path)
        first = next(iter_frames(path, 0, 1))
        return len(files), int(first.shape[1]), int(first.shape[0])
    info = probe(path)
    return int(info.num_frames), int(info.width), int(info.height)


def keyframe_indices(path: Path) -> list[int]:
    """Frame indices of the keyframes of a video file, from its packets (no decoding); [] when unknown."""
    try:
        with open_input(path) as container:
            stream = video_stream(container, path)
            fps = stream_fps(stream)
            if fps is None:
                return []
            out = [
                idx
                for packet in container.demux(stream)
                if packet.is_keyframe and (idx := frame_index(packet.pts, stream, fps)) is not None
            ]
    except (av.error.FFmpegError, VideoError):
        return []  # the decode itself then reports what is wrong with the file
    return sorted(set(out))


def decode_groups(targets: list[int], keyframes: list[int]) -> list[list[int]]:
    """Split ascending targets into runs decoded in one pass: a new run starts when a keyframe lies in
    (previous target, target], i.e. seeking there is cheaper than decoding on."""
    groups: list[list[int]] = []
    for t in targets:
        if groups and not any(groups[-1][-1] < k <= t for k in keyframes):
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


def _decode_targets(path: Path, targets: list[int], wh: tuple[int, int]) -> dict[int, np.ndarray]:
    """Frames at `targets` (ascending) of a video file, decoded group by group."""
    keyframes = [] if path.is_dir() else keyframe_indices(path)
    frames: dict[int, np.ndarray] = {}
    for group in decode_groups(targets, keyframes) if keyframes else [[t] for t in targets]:
        want = set(group)
        for idx, frame in enumerate(
            iter_frames(path, group[0], group[-1] + 1, size=wh, strict=False), group[0]
        ):
            if idx in want:
                frames[idx] = frame  # [H, W, 3] uint8 RGB
    return frames


def caption_frames(
    video_path: str | os.PathLike,
    num_frames: int = 4,
    size: int | tuple[int, int] | None = 448,
) -> np.ndarray:
    """`num_frames` RGB frames spread evenly across the clip: [N, H, W, 3] uint8.

    size: (width, height), or the longest side in pixels (aspect kept, never upscaled), or None for
    the stored size. A clip shorter than `num_frames` gives each of its frames once (N = T).
    Raises `VideoError` naming the file when it cannot be probed or a frame does not decode.
    """
    path = Path(video_path)
    total, width, height = _clip_info(path)
    wh = fit_size(width, height, size)
    targets = caption_frame_indices(total, num_frames)
    frames = _decode_targets(path, targets, wh)
    out = []
    for idx in targets:
        frame = frames.get(idx)
        if frame is None:  # a frame count from the container's duration can overshoot by a frame
            frame = next(iter_frames(path, max(0, idx - 1), idx, size=wh, strict=False), None)
        if frame is None:
            raise VideoError(path, f"frame {idx} of {total} did not decode for captioning")
        out.append(frame)  # [H, W, 3] uint8 RGB
    return np.stack(out)  # [N, H, W, 3] uint8
