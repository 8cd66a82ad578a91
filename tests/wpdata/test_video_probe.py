"""probe(): values of real encoded files, rotation, and a clear VideoError for every kind of bad file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from wpdata.video import VideoError, VideoInfo, probe, write_mp4
from wpdata.video.pattern import pattern_frames


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_mp4(tmp_path / "clip.mp4", pattern_frames(30, 128, 72), fps=24)


def test_probe_values(clip: Path) -> None:
    info = probe(clip)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height, info.num_frames) == (128, 72, 30)
    assert info.fps == pytest.approx(24.0)
    assert info.duration_s == pytest.approx(30 / 24, abs=1e-3)
    assert (info.codec, info.pix_fmt, info.rotation, info.has_audio) == ("h264", "yuv420p", 0, False)
    assert info.bit_rate and info.bit_rate > 0
    d = info.to_dict()
    assert d["num_frames"] == 30 and d["path"] == str(clip)
    assert set(d) == {f for f in VideoInfo.__dataclass_fields__}


def test_probe_fractional_fps(tmp_path: Path) -> None:
    p = write_mp4(tmp_path / "ntsc.mp4", pattern_frames(12), fps=30000 / 1001)
    info = probe(p)
    assert info.fps == pytest.approx(float(Fraction(30000, 1001)), rel=1e-6)
    assert info.num_frames == 12


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_probe_rotation(tmp_path: Path, degrees: int, write_rotated) -> None:
    info = probe(write_rotated(tmp_path / f"rot{degrees}.mp4", pattern_frames(6, 64, 48), degrees))
    assert info.rotation == degrees
    assert (info.width, info.height) == (64, 48)  # stored size, before rotation


def _bytes_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


BAD_FILES = {
    "zero-bytes": (lambda d, _: _bytes_file(d / "zero.mp4", b""), "zero-byte file"),
    "text": (lambda d, _: _bytes_file(d / "text.mp4", b"not a video\n" * 20), "not a video"),
    "random-bytes": (
        lambda d, _: _bytes_file(d / "rand.mp4", np.random.default_rng(0).bytes(50_000)),
        "not a video",
    ),
    "audio-only": (lambda d, audio_only: audio_only(d / "audio.m4a"), r"no video stream \(audio only\)"),
    "missing": (lambda d, _: d / "missing.mp4", "no such file"),
    "directory": (lambda d, _: d, "is a directory"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("make", "message"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_probe_bad_files(tmp_path: Path, make, message: str, write_audio_only) -> None:
    path = make(tmp_path, write_audio_only)
    with pytest.raises(VideoError, match=message) as err:
        probe(path)
    assert str(path) in str(err.value)


@pytest.mark.timeout(30)
def test_probe_truncated(tmp_path: Path) -> None:
    src = write_mp4(tmp_path / "full.mp4", pattern_frames(40, 128, 72), fps=20)
    cut = tmp_path / "cut.mp4"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="truncated"):
        probe(cut)


def test_probe_min_frames(tmp_path: Path) -> None:
    one = write_mp4(tmp_path / "one.mp4", pattern_frames(1), fps=10)
    assert probe(one).num_frames == 1
    with pytest.raises(VideoError, match="only 1 frame"):
        probe(one, min_frames=2)


def test_probe_dimension_limits(tmp_path: Path) -> None:
    p = write_mp4(tmp_path / "tall.mp4", np.zeros((2, 200, 16, 3), np.uint8), fps=10)
    assert probe(p).height == 200
    with pytest.raises(VideoError, match="absurd dimensions 16x200"):
        probe(p, max_side=128)
    with pytest.raises(VideoError, match="absurd dimensions"):
        probe(p, min_side=32)


def test_video_error_pickles(tmp_path: Path) -> None:
    import pickle

    err = pickle.loads(pickle.dumps(VideoError(tmp_path / "a.mp4", "zero-byte file")))
    assert err.reason == "zero-byte file" and str(err).endswith("a.mp4: zero-byte file")
