"""Image folders probe and decode like videos: natural order, gray expansion, resampling, real EuRoC frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wpdata.video import VideoError, decode_frames, list_image_files, probe_image_sequence
from wpdata.video.pattern import pattern_frames, pattern_index

EUROC = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "realdata"
    / "euroc_v101_micro"
    / "mav0"
    / "cam0"
    / "data"
)


def _write_folder(folder: Path, n: int, ext: str = ".png", gray: bool = False) -> Path:
    """Frames named frame_0 .. frame_{n-1} (unpadded, so plain sorting would be wrong)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(pattern_frames(n, 64, 48)):
        img = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if gray else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(folder / f"frame_{i}{ext}"), img)
    return folder


def test_natural_order_and_probe(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "seq", 12)
    (folder / "notes.txt").write_text("ignored")
    names = [f.name for f in list_image_files(folder)]
    assert names[:3] == ["frame_0.png", "frame_1.png", "frame_2.png"] and names[-1] == "frame_11.png"
    info = probe_image_sequence(folder, fps=6)
    assert (info.num_frames, info.width, info.height, info.codec) == (12, 64, 48, "png")
    assert info.duration_s == pytest.approx(2.0) and info.pix_fmt == "rgb24" and not info.has_audio


def test_decode_folder_range_resize_resample(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "seq", 12)
    frames = decode_frames(folder, 2, 7)
    assert frames.shape == (5, 48, 64, 3) and [pattern_index(f) for f in frames] == [2, 3, 4, 5, 6]
    np.testing.assert_array_equal(frames[0], pattern_frames(3, 64, 48)[2])  # PNG is lossless
    assert decode_frames(folder, size=(32, 24)).shape == (12, 24, 32, 3)
    half = decode_frames(folder, fps=3, source_fps=6)
    assert [pattern_index(f) for f in half] == [0, 2, 4, 6, 8, 10]
    with pytest.raises(VideoError, match="source_fps"):
        decode_frames(folder, fps=3)
    with pytest.raises(VideoError, match="requested frames"):
        decode_frames(folder, 0, 20)


def test_gray_png_expands_to_rgb(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "g", 4, gray=True)
    assert probe_image_sequence(folder, fps=10).pix_fmt == "gray"
    rgb = decode_frames(folder)
    assert rgb.shape == (4, 48, 64, 3)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    assert decode_frames(folder, gray=True).shape == (4, 48, 64)


def test_jpeg_and_bad_folders(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "j", 3, ext=".jpg")
    assert probe_image_sequence(folder, fps=30).codec == "jpeg"
    assert [pattern_index(f) for f in decode_frames(folder)] == [0, 1, 2]
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoError, match="no PNG/JPEG"):
        probe_image_sequence(tmp_path / "empty", fps=10)
    with pytest.raises(VideoError, match="only 3 frames"):
        probe_image_sequence(folder, fps=10, min_frames=5)
    (folder / "frame_3.jpg").write_bytes(b"broken")
    with pytest.raises(VideoError, match="unreadable image"):
        decode_frames(folder)
    _write_folder(tmp_path / "mixed", 2, ext=".png")
    _write_folder(tmp_path / "mixed", 1, ext=".jpg")
    with pytest.raises(VideoError, match="mixed image formats"):
        probe_image_sequence(tmp_path / "mixed", fps=10)


def test_euroc_real_sequence() -> None:
    if not EUROC.is_dir():
        pytest.skip(f"real data folder {EUROC} is absent")
    info = probe_image_sequence(EUROC, fps=20)
    assert (info.num_frames, info.width, info.height, info.pix_fmt) == (95, 752, 480, "gray")
    assert info.duration_s == pytest.approx(95 / 20)
    frames = decode_frames(EUROC, 0, 10, size=(376, 240), fps=10, source_fps=20)
    assert frames.shape == (5, 240, 376, 3)
    np.testing.assert_array_equal(frames[..., 0], frames[..., 1])  # gray expanded to RGB
    assert frames.std() > 5  # real image content, not blank
