"""Frame timing of a video file: how irregular its presentation timestamps are (variable frame rate).

``wpdata.video.probe`` reports one frame rate and frame indices assume it is constant; a variable
frame rate file would make frame spans and poses disagree with wall time, so curation checks it.
Demux only (no decode), so this is cheap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wpdata.video.container import frame_index, frame_pts, open_input, video_stream


def pts_irregularity(path: str | Path, max_packets: int = 900) -> float:
    """Fraction of frame intervals deviating > 25% from the median interval (0 = constant rate).

    Reads up to ``max_packets`` packet timestamps of the video stream; image folders and files with
    fewer than 3 timestamped packets score 0.
    """
    p = Path(path)
    if p.is_dir():
        return 0.0
    pts: list[int] = []
    with open_input(p) as container:
        stream = video_stream(container, p)
        for packet in container.demux(stream):
            if packet.pts is not None:
                pts.append(int(packet.pts))
            if len(pts) >= max_packets:
                break
    if len(pts) < 3:
        return 0.0
    deltas = np.diff(np.unique(np.asarray(pts, np.int64)))  # [M] presentation order (B-frames sorted)
    if len(deltas) < 2:
        return 0.0
    median = float(np.median(deltas))
    if median <= 0:
        return 1.0
    return float(np.mean(np.abs(deltas - median) > 0.25 * median))


def keyframe_indices(path: str | Path, start: int, end: int, fps: float) -> list[int]:
    """Source frame indices of the keyframes in [start, end) (demux only; constant rate assumed).

    A keyframe decodes on its own, so sampling a few full-resolution frames there costs one frame
    decode each instead of decoding from the previous keyframe. Image folders: every frame.
    """
    p = Path(path)
    if p.is_dir():
        return list(range(start, end))
    found: set[int] = set()
    with open_input(p) as container:
        stream = video_stream(container, p)
        if start > 0:
            container.seek(frame_pts(start, stream, fps), stream=stream, backward=True, any_frame=False)
        for packet in container.demux(stream):
            idx = frame_index(packet.pts, stream, fps)
            if idx is None:
                continue
            if packet.is_keyframe and start <= idx < end:
                found.add(idx)
            if (
                frame_index(packet.dts, stream, fps) is not None
                and frame_index(packet.dts, stream, fps) > end + 8
            ):
                break
    return sorted(found)
