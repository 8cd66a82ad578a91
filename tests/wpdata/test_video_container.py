"""container helpers: frame counts for containers that store none (Matroska), timestamps <-> frame indices."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from wpdata.video import decode_frames, probe
from wpdata.video.container import (
    frame_index,
    frame_pts,
    open_input,
    stream_fps,
    stream_num_frames,
    video_stream,
)
from wpdata.video.pattern import pattern_frames, pattern_index


@pytest.fixture(scope="module")
def mkv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """17 frames of H.264 in Matroska at 15 fps: the container stores no frame count."""
    path = tmp_path_factory.mktemp("mkv") / "clip.mkv"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=15, options={"g": "4"})
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for frame in pattern_frames(17):
            c.mux(s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        c.mux(s.encode(None))
    return path


def test_frame_count_from_packets(mkv: Path) -> None:
    with open_input(mkv) as container:
        stream = video_stream(container, mkv)
        assert stream.frames == 0  # Matroska stores no count
        assert stream_num_frames(container, stream, mkv, stream_fps(stream), timeout_s=10) == (17, False)
    info = probe(mkv)
    assert (info.num_frames, info.fps, info.codec) == (17, 15.0, "h264")


def test_decode_matroska_with_seek(mkv: Path) -> None:
    assert [pattern_index(f) for f in decode_frames(mkv, 9, 13)] == [9, 10, 11, 12]
    assert len(decode_frames(mkv)) == 17


def test_frame_index_pts_round_trip(mkv: Path) -> None:
    with open_input(mkv) as container:
        stream = video_stream(container, mkv)
        fps = stream_fps(stream)
        for i in (0, 1, 7, 16, 1000):
            assert frame_index(frame_pts(i, stream, fps), stream, fps) == i
        assert frame_index(None, stream, fps) is None
