"""sample_frames: evenly spaced gray analysis frames from videos and image folders; rgb_frames picks frames."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from wpdata.filters.frames import analysis_size, rgb_frames, sample_frames
from wpdata.video import VideoError, write_mp4

EUROC = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata" / "euroc_v101_micro/mav0/cam0/data"


@pytest.fixture(scope="module")
def clip(tmp_path_factory, walking_frames) -> Path:
    return write_mp4(tmp_path_factory.mktemp("frames") / "walk.mp4", walking_frames, 15.0)


def test_samples_every_kth_frame_at_analysis_width(clip, walking_frames):
    a = sample_frames(clip, analysis_fps=6.0, width=160)
    np.testing.assert_array_equal(a.indices, np.arange(0, 60, 2))  # 15 fps / 6 -> every 2nd frame
    np.testing.assert_allclose(a.times, a.indices / 15.0)
    assert a.gray.shape == (30, 90, 160) and a.gray.dtype == np.uint8
    assert a.src_fps == 15.0 and a.src_size == (320, 180) and a.scale == 0.5
    expected = cv2.resize(
        cv2.cvtColor(walking_frames[4], cv2.COLOR_RGB2GRAY), (160, 90), interpolation=cv2.INTER_AREA
    )
    assert np.abs(a.gray[2].astype(float) - expected).mean() < 6.0


def test_span_and_no_upscaling(clip):
    a = sample_frames(clip, start=10, end=31, analysis_fps=5.0, width=640)
    np.testing.assert_array_equal(a.indices, [10, 13, 16, 19, 22, 25, 28])
    assert a.gray.shape[1:] == (180, 320) and a.scale == 1.0


def test_skip_nonref_returns_frames_near_the_targets(clip):
    for start, end in [(0, None), (21, 50)]:
        a = sample_frames(clip, start=start, end=end, analysis_fps=6.0, skip_nonref=True)
        targets = np.arange(start, 60 if end is None else end, 2)
        assert 5 <= len(a) <= len(targets) and np.all(np.diff(a.indices) > 0)
        assert a.indices[0] >= start and a.indices[-1] < (60 if end is None else end)
        assert np.abs(a.indices[:, None] - targets[None]).min(axis=1).max() <= 2  # each near some target
        assert a.gray.shape[1:] == (180, 320)


def test_image_folder_needs_and_uses_source_fps(tmp_path, walking_frames):
    for i, f in enumerate(walking_frames[:20]):
        cv2.imwrite(str(tmp_path / f"frame_{i:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    with pytest.raises(VideoError):
        sample_frames(tmp_path)
    a = sample_frames(tmp_path, analysis_fps=5.0, source_fps=20.0)
    np.testing.assert_array_equal(a.indices, [0, 4, 8, 12, 16])
    np.testing.assert_allclose(a.times, a.indices / 20.0)


def test_rgb_frames_returns_the_requested_frames(clip, walking_frames):
    rgb = rgb_frames(clip, [30, 5, 5], width=160)
    assert rgb.shape == (2, 90, 160, 3) and rgb.dtype == np.uint8
    expected = cv2.resize(walking_frames[30], (160, 90), interpolation=cv2.INTER_AREA)
    assert np.abs(rgb[1].astype(float) - expected).mean() < 6.0
    assert rgb_frames(clip, []).shape == (0, 180, 320, 3)


def test_analysis_size_keeps_aspect_and_even_sides():
    assert analysis_size((1280, 720), 320) == (320, 180)
    assert analysis_size((752, 480), 320) == (320, 204)
    assert analysis_size((200, 100), 320) == (200, 100)


def test_euroc_folder_samples():
    if not EUROC.exists():
        pytest.skip(f"EuRoC micro sequence not present at {EUROC}")
    a = sample_frames(EUROC, analysis_fps=6.0, source_fps=20.0)
    assert a.src_size == (752, 480) and a.gray.shape[1:] == (204, 320)
    np.testing.assert_array_equal(a.indices[:3], [0, 3, 6])


def test_chroma_planes_from_both_decode_paths(tmp_path):
    frames = np.zeros((12, 180, 320, 3), np.uint8)  # [T, H, W, 3] blue left half, red right half
    frames[:, :, :160] = (20, 40, 220)
    frames[:, :, 160:] = (220, 40, 20)
    path = write_mp4(tmp_path / "colours.mp4", frames, 6.0)
    assert sample_frames(path, analysis_fps=6.0).chroma is None  # only when asked
    planes = []
    for nonref in (True, False):  # decoder's yuv420p planes / RGB converted with OpenCV
        a = sample_frames(path, analysis_fps=6.0, width=160, skip_nonref=nonref, chroma=True)
        assert a.chroma is not None and a.chroma.shape == (len(a), 45, 80, 2) and a.chroma.dtype == np.uint8
        cb, cr = a.chroma[..., 0].astype(float), a.chroma[..., 1].astype(float)
        assert cb[:, :, :30].mean() > 180 and cr[:, :, :30].mean() < 110  # blue: high Cb
        assert cr[:, :, 50:].mean() > 180 and cb[:, :, 50:].mean() < 110  # red: high Cr
        planes.append(a.chroma[0].astype(float))
    assert np.abs(planes[0] - planes[1])[:, list(range(30)) + list(range(50, 80))].mean() < 6.0


def test_skip_loop_filter_decodes_the_same_frames_nearly_alike(clip):
    plain = sample_frames(clip, analysis_fps=6.0, skip_nonref=True)
    fast = sample_frames(clip, analysis_fps=6.0, skip_nonref=True, skip_loop_filter=True)
    np.testing.assert_array_equal(plain.indices, fast.indices)
    diff = np.abs(plain.gray.astype(np.int16) - fast.gray)  # [N, h, w]
    assert diff.max() > 0  # the option reached the decoder: deblocking was skipped
    assert diff.mean() < 1.5  # ...and the frames still match to within a gray level on average


def test_on_gray_sees_each_kept_frame_in_order(clip):
    for nonref in (True, False):
        seen: list[np.ndarray] = []
        a = sample_frames(clip, analysis_fps=6.0, skip_nonref=nonref, chroma=True, on_gray=seen.append)
        assert len(seen) == len(a) and all(np.array_equal(g, s) for g, s in zip(a.gray, seen, strict=True))


def test_reference_decode_pixels_equal_pyav_per_frame_conversion(tmp_path, walking_frames):
    big = np.stack([cv2.resize(f, (640, 360)) for f in walking_frames[:20]])  # [T, 360, 640, 3] downscaled
    path = write_mp4(tmp_path / "big.mp4", big, 15.0)
    a = sample_frames(path, analysis_fps=6.0, width=160, skip_nonref=True, chroma=True)
    want = {int(i): k for k, i in enumerate(a.indices)}
    with av.open(str(path)) as c:  # PyAV's own conversion (a fresh swscale context per frame)
        for n, frame in enumerate(c.decode(c.streams.video[0])):
            if n in want:
                g = frame.to_ndarray(format="gray", width=160, height=90, interpolation="AREA")
                yuv = frame.to_ndarray(format="yuv420p", width=160, height=90, interpolation="AREA").ravel()
                np.testing.assert_array_equal(a.gray[want[n]], g)
                np.testing.assert_array_equal(a.chroma[want[n], ..., 0].ravel(), yuv[14400:18000])  # Cb
                np.testing.assert_array_equal(a.chroma[want[n], ..., 1].ravel(), yuv[18000:])  # Cr


def test_on_frame_sees_each_decoded_index_once_in_order(clip):
    seen: list[int] = []
    a = sample_frames(clip, 10, 50, analysis_fps=6.0, skip_nonref=True, on_frame=lambda i, f: seen.append(i))
    assert seen == sorted(set(seen)) and seen[0] >= 10 and seen[-1] < 50
    assert set(a.indices.tolist()) <= set(seen)  # every kept frame passed through on_frame
