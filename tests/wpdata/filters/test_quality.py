"""quality: re-blur sharpness and exposure on rendered synthetic frames written to and read from mp4."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from wpdata.filters.decide import CurationThresholds
from wpdata.filters.quality import exposure, frame_sharpness, sharpness
from wpdata.synth import intrinsics, make_world, render_frames, walking
from wpdata.video import decode_frames, write_mp4

TH = CurationThresholds()


def _render(width: int, height: int) -> np.ndarray:
    world = make_world(3, "street")
    c2w = walking(world, 4, 15.0, seed=1)  # [4, 4, 4]
    return np.stack(list(render_frames(world, c2w, intrinsics(width, height, 70.0), width, height)))


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, np.ndarray]:
    """Gray frames [N, h, w] of sharp, blurred and dark versions of one rendered clip, via H.264."""
    tmp = tmp_path_factory.mktemp("quality")
    rgb = _render(320, 180)  # [4, 180, 320, 3] uint8
    rng = np.random.default_rng(0)
    dark = np.clip(rgb * 0.08 + rng.normal(0, 2.0, rgb.shape) + 0.5, 0, 255).astype(np.uint8)
    variants = {
        "sharp": rgb,
        "blurred": np.stack([cv2.GaussianBlur(f, (0, 0), 3.0) for f in rgb]),
        "dark": dark,
        "sharp_640": _render(640, 360),
    }
    out = {}
    for name, frames in variants.items():
        write_mp4(tmp / f"{name}.mp4", frames, 15.0, threads=1)
        out[name] = decode_frames(tmp / f"{name}.mp4", gray=True)
    return out


def test_sharp_blurred_and_dark_are_told_apart(clips):
    s = {k: sharpness(v) for k, v in clips.items()}
    assert s["sharp"] > TH.min_sharpness + 0.15
    assert s["blurred"] < TH.min_sharpness - 0.1
    assert s["dark"] > TH.min_sharpness + 0.15  # dark, low-contrast and noisy is not blurred
    assert exposure(clips["blurred"])["brightness"] > TH.min_brightness * 2  # blurred is not dark
    dark = exposure(clips["dark"])
    assert dark["brightness"] < TH.min_brightness and dark["dark_fraction"] > TH.max_dark_fraction


def test_sharpness_is_resolution_normalised(clips):
    assert abs(sharpness(clips["sharp_640"]) - sharpness(clips["sharp"])) < 0.1
    # measured at the reference width, a blur of 6 px at 640 equals a blur of 3 px at 320
    big = np.stack([cv2.GaussianBlur(f, (0, 0), 6.0) for f in clips["sharp_640"]])
    small = np.stack([cv2.GaussianBlur(f, (0, 0), 3.0) for f in clips["sharp"]])
    assert abs(sharpness(big) - sharpness(small)) < 0.05


def test_sharpness_ignores_contrast_and_flat_frames(clips):
    g = clips["sharp"]
    low = (g.astype(np.float32) * 0.2 + 100).astype(np.uint8)  # same picture, a fifth of the contrast
    assert abs(sharpness(low) - sharpness(g)) < 0.08
    flat = np.full((3, 90, 160), 77, np.uint8)
    assert math.isnan(sharpness(flat)) and math.isnan(frame_sharpness(flat[0]))
    with pytest.raises(ValueError, match="expected gray frames"):
        sharpness(g[0])


def test_exposure_fractions_exact():
    g = np.zeros((2, 10, 10), np.uint8)  # [2, 10, 10]
    g[0, :5] = 255  # a quarter of all pixels blown out
    g[1, :, :2] = 128
    e = exposure(g)
    assert e["bright_fraction"] == pytest.approx(0.25)
    assert e["dark_fraction"] == pytest.approx(1 - 0.25 - 0.1)
    assert e["brightness"] == pytest.approx((50 * 255 + 20 * 128) / 200)
    with pytest.raises(ValueError):
        exposure(np.zeros((0, 4, 4), np.uint8))
