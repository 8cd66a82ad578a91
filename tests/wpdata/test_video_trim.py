"""trim(): frame-exact re-encode, approximate stream copy, bad spans; is_conformant()."""

from __future__ import annotations

from pathlib import Path

import pytest

from wpdata.video import VideoError, decode_frames, is_conformant, probe, trim, write_mp4
from wpdata.video.pattern import pattern_frames, pattern_index


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 frames at 20 fps (2 s), a keyframe every 8 frames."""
    return write_mp4(tmp_path_factory.mktemp("trim") / "clip.mp4", pattern_frames(40, 64, 48), 20, gop_size=8)


def test_trim_reencode_is_frame_exact(clip: Path, tmp_path: Path) -> None:
    out = trim(clip, tmp_path / "t.mp4", 0.5, 1.0)
    info = probe(out)
    assert info.num_frames == 10 and info.duration_s == pytest.approx(0.5, abs=1e-3) and info.fps == 20
    assert [pattern_index(f) for f in decode_frames(out)] == list(range(10, 20))


def test_trim_end_past_video_is_clamped(clip: Path, tmp_path: Path) -> None:
    out = trim(clip, tmp_path / "tail.mp4", 1.81, 99.0)
    assert [pattern_index(f) for f in decode_frames(out)] == [37, 38, 39]


def test_trim_stream_copy_starts_at_keyframe(clip: Path, tmp_path: Path) -> None:
    out = trim(clip, tmp_path / "copy.mp4", 0.5, 1.0, reencode=False)
    got = [pattern_index(f) for f in decode_frames(out)]
    assert got == list(range(got[0], got[-1] + 1))  # contiguous
    assert got[0] <= 10 and got[0] > 10 - 9  # the keyframe at or before frame 10
    assert got[-1] == 19
    assert probe(out).codec == "h264"


def test_trim_bad_spans(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="bad trim span"):
        trim(clip, tmp_path / "x.mp4", 1.0, 0.5)
    with pytest.raises(VideoError, match="holds no frame"):
        trim(clip, tmp_path / "x.mp4", 5.0, 6.0)
    with pytest.raises(VideoError, match="no such file"):
        trim(tmp_path / "missing.mp4", tmp_path / "x.mp4", 0.0, 1.0)
    assert not (tmp_path / "x.mp4").exists()


def test_is_conformant(clip: Path) -> None:
    info = probe(clip)
    assert is_conformant(info, 64, 48)
    assert not is_conformant(info, 128, 72)
    assert not is_conformant(info, 64, 48, codec="hevc")
