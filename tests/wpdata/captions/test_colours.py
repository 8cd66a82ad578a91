"""Brightness words and dominant named colours of synthetic frames with known colours."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.captions.colours import brightness_word, colour_shares, dominant_colours, mean_luma


def _flat(rgb, n=2, h=48, w=80) -> np.ndarray:
    return np.broadcast_to(np.array(rgb, np.uint8), (n, h, w, 3)).copy()


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((220, 30, 30), "red"),
        ((240, 140, 20), "orange"),
        ((230, 220, 40), "yellow"),
        ((40, 180, 60), "green"),
        ((40, 200, 210), "cyan"),
        ((30, 60, 220), "blue"),
        ((130, 40, 200), "purple"),
        ((230, 60, 170), "pink"),
        ((120, 80, 30), "brown"),
        ((250, 250, 250), "white"),
        ((128, 128, 128), "grey"),
        ((10, 10, 10), "black"),
    ],
)
def test_flat_colours_are_named(rgb, name):
    assert dominant_colours(_flat(rgb)) == [name]


def test_split_frame_gives_colours_by_share_and_drops_small_ones():
    frames = _flat((30, 60, 220))  # blue
    frames[:, :24] = (40, 180, 60)  # top half green
    frames[:, 24:36] = (128, 128, 128)  # a quarter grey
    frames[:, :2, :2] = (220, 30, 30)  # a speck of red, below min_share
    shares = colour_shares(frames)
    assert shares["green"] > shares["blue"] > 0.2 and 0.2 < shares["grey"] < 0.3
    assert dominant_colours(frames) == ["green", "blue", "grey"]
    assert "red" not in dominant_colours(frames, max_colours=4)


def test_brightness_levels():
    assert brightness_word(_flat((20, 20, 20))) == "dark"
    assert brightness_word(_flat((80, 80, 80))) == "dim"
    assert brightness_word(_flat((140, 140, 140))) == "moderately lit"
    assert brightness_word(_flat((230, 230, 230))) == "bright"
    assert mean_luma(_flat((255, 0, 0))) == pytest.approx(0.299 * 255)


def test_bad_frames_raise():
    with pytest.raises(ValueError, match="uint8"):
        dominant_colours(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="N >= 1"):
        brightness_word(np.zeros((0, 8, 8, 3), np.uint8))
