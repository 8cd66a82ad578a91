"""pattern: frames that carry their own index, read back exactly from raw and from resized frames."""

from __future__ import annotations

import cv2
import pytest

from wpdata.video.pattern import pattern_frames, pattern_index


def test_pattern_round_trip() -> None:
    frames = pattern_frames(256, 64, 48)
    assert frames.shape == (256, 48, 64, 3)
    assert [pattern_index(f) for f in frames] == list(range(256))
    assert pattern_index(cv2.resize(frames[201], (32, 24), interpolation=cv2.INTER_AREA)) == 201
    assert pattern_index(frames[77].mean(axis=2).astype("uint8")) == 77  # gray


def test_pattern_frames_differ_below() -> None:
    frames = pattern_frames(2, 64, 48)
    assert (frames[0, 24:] != frames[1, 24:]).any()  # the gradient moves


def test_pattern_limits() -> None:
    with pytest.raises(ValueError, match="pattern needs"):
        pattern_frames(257)
    with pytest.raises(ValueError, match="pattern needs"):
        pattern_frames(4, width=8)
