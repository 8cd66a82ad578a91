"""Measured appearance of a few frames in words: brightness and the dominant named colours.

Colours: every pixel (of frames shrunk to at most 64 px a side) is named by a fixed HSV rule (OpenCV's
RGB->HSV, hue in degrees): black when V < 0.2; white (V > 0.8) or grey when S < 0.2; brown for
orange-yellow hues with V < 0.6; else a hue bin (red, orange, yellow, green, cyan, blue, purple,
pink). The dominant colours are the names covering the most pixels (at least `min_share` each, ties
broken by name), so the result is deterministic. A fixed hue table rather than k-means: k-means
centres would still have to be named, and its seeding adds nothing for a caption.
Brightness: mean Rec. 601 luma over all pixels; < 50 dark, < 100 dim, < 170 moderately lit, else bright.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["COLOUR_NAMES", "brightness_word", "colour_shares", "dominant_colours", "mean_luma"]

COLOUR_NAMES = (
    "black",
    "white",
    "grey",
    "brown",
    "red",
    "orange",
    "yellow",
    "green",
    "cyan",
    "blue",
    "purple",
    "pink",
)
# hue bins in degrees [lo, hi) -> name (red wraps around 0)
_HUE_BINS = (
    (0, 15, "red"),
    (15, 40, "orange"),
    (40, 70, "yellow"),
    (70, 160, "green"),
    (160, 200, "cyan"),
    (200, 260, "blue"),
    (260, 290, "purple"),
    (290, 345, "pink"),
    (345, 361, "red"),
)
ANALYSIS_SIDE = 64
BRIGHTNESS_LEVELS = ((50.0, "dark"), (100.0, "dim"), (170.0, "moderately lit"))


def _check(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim == 3 and frames.shape[-1] == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be [N, H, W, 3] uint8 with N >= 1, got {frames.shape} {frames.dtype}")
    return frames


def _small(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    scale = min(1.0, ANALYSIS_SIDE / max(h, w))
    if scale >= 1.0:
        return frame
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def mean_luma(frames: np.ndarray) -> float:
    """Mean Rec. 601 luma (0-255) of frames [N, H, W, 3] uint8 RGB."""
    f = _check(frames).astype(np.float64)
    return float((f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114).mean())


def brightness_word(frames: np.ndarray) -> str:
    """ "dark", "dim", "moderately lit" or "bright" from the mean luma."""
    luma = mean_luma(frames)
    for limit, word in BRIGHTNESS_LEVELS:
        if luma < limit:
            return word
    return "bright"


def _name_pixels(hsv: np.ndarray) -> np.ndarray:
    """Colour index (into COLOUR_NAMES) per pixel of hsv [M, 3] float64 (H degrees, S and V in [0, 1])."""
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    out = np.zeros(len(hsv), np.int64)
    index = {name: i for i, name in enumerate(COLOUR_NAMES)}
    for lo, hi, name in _HUE_BINS:
        out[(h >= lo) & (h < hi)] = index[name]
    out[(h >= 15) & (h < 70) & (v < 0.6)] = index["brown"]
    out[s < 0.2] = np.where(v[s < 0.2] > 0.8, index["white"], index["grey"])
    out[v < 0.2] = index["black"]
    return out


def colour_shares(frames: np.ndarray) -> dict[str, float]:
    """Fraction of pixels of each named colour over all frames (names with no pixels left out)."""
    frames = _check(frames)
    pixels = []
    for frame in frames:
        rgb = _small(frame).astype(np.float32) / 255.0  # [h, w, 3] float32 in [0, 1]
        pixels.append(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).reshape(-1, 3))  # H in degrees
    hsv = np.concatenate(pixels).astype(np.float64)  # [M, 3]
    counts = np.bincount(_name_pixels(hsv), minlength=len(COLOUR_NAMES))
    total = counts.sum()
    return {COLOUR_NAMES[i]: float(c / total) for i, c in enumerate(counts) if c > 0}


def dominant_colours(frames: np.ndarray, max_colours: int = 3, min_share: float = 0.1) -> list[str]:
    """Up to `max_colours` colour names covering at least `min_share` of the pixels each, most first."""
    shares = colour_shares(frames)
    ranked = sorted(shares.items(), key=lambda kv: (-round(kv[1], 6), kv[0]))
    return [name for name, share in ranked[:max_colours] if share >= min_share]
