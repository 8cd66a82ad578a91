"""caption_frames: evenly spread frames of a real mp4 / image folder, resized keeping the aspect ratio."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from wpdata.captions.frames import (
    caption_frame_indices,
    caption_frames,
    decode_groups,
    fit_size,
    keyframe_indices,
)
from wpdata.video import VideoError, write_mp4

T, W, H = 40, 96, 64


def _ramp_frames() -> np.ndarray:
    """Frame t is flat grey at level 5 * t + 20, so a decoded frame tells its index."""
    levels = 5 * np.arange(T) + 20
    return np.broadcast_to(levels[:, None, None, None], (T, H, W, 3)).astype(np.uint8).copy()


@pytest.fixture(scope="module")
def ramp_mp4(tmp_path_factory):
    return write_mp4(
        tmp_path_factory.mktemp("frames") / "ramp.mp4", _ramp_frames(), 20.0, threads=1, gop_size=8
    )


def test_indices_are_span_centres_distinct_and_in_range():
    assert caption_frame_indices(40, 4) == [5, 15, 25, 35]
    assert caption_frame_indices(3, 8) == [0, 1, 2]
    assert caption_frame_indices(1, 4) == [0]
    with pytest.raises(ValueError, match="num_frames"):
        caption_frame_indices(10, 0)


def test_fit_size_keeps_aspect_and_never_upscales():
    assert fit_size(1280, 720, 448) == (448, 252)
    assert fit_size(720, 1280, 448) == (252, 448)
    assert fit_size(320, 180, 448) == (320, 180)
    assert fit_size(1280, 720, (64, 64)) == (64, 64)
    assert fit_size(1280, 720, None) == (1280, 720)
    with pytest.raises(ValueError):
        fit_size(10, 10, (0, 5))


def test_decodes_the_frames_at_span_centres(ramp_mp4):
    frames = caption_frames(ramp_mp4, num_frames=4, size=48)
    assert frames.shape == (4, 32, 48, 3) and frames.dtype == np.uint8
    levels = frames.reshape(4, -1).mean(1)
    np.testing.assert_allclose(levels, [5 * i + 20 for i in (5, 15, 25, 35)], atol=3.0)


def test_keyframes_and_decode_groups(ramp_mp4, tmp_path):
    assert keyframe_indices(ramp_mp4) == [0, 8, 16, 24, 32]
    assert decode_groups([5, 15, 25, 35], [0, 8, 16, 24, 32]) == [[5], [15], [25], [35]]
    assert decode_groups([5, 15, 25, 35], [0]) == [[5, 15, 25, 35]]
    assert decode_groups([5, 15, 25, 35], [0, 30]) == [[5, 15, 25], [35]]
    assert decode_groups([], [0]) == []
    one_gop = write_mp4(tmp_path / "one_gop.mp4", _ramp_frames(), 20.0, threads=1)  # keyframe at 0 only
    assert keyframe_indices(one_gop) == [0]
    a, b = caption_frames(one_gop, 4, 48).astype(int), caption_frames(ramp_mp4, 4, 48).astype(int)
    np.testing.assert_allclose(a, b, atol=2)


def test_image_folder_works_like_a_video(tmp_path):
    for t, frame in enumerate(_ramp_frames()[:10]):
        cv2.imwrite(str(tmp_path / f"frame_{t:05d}.png"), frame[..., ::-1])
    frames = caption_frames(tmp_path, num_frames=2, size=None)
    assert frames.shape == (2, H, W, 3)
    np.testing.assert_array_equal(frames[:, 0, 0, 0], [5 * 2 + 20, 5 * 7 + 20])


def test_missing_or_broken_file_raises_video_error_naming_it(tmp_path):
    with pytest.raises(VideoError, match="nope.mp4"):
        caption_frames(tmp_path / "nope.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(VideoError, match="bad.mp4"):
        caption_frames(bad)
