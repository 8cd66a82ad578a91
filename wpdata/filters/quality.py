"""Image quality scores of a span's gray analysis frames: sharpness (no-reference blur) and exposure.

`sharpness` is the re-blur ratio of Crété-Roffet et al. ("The blur effect", 2007) on gradient energy:
blur the frame again with a small Gaussian and measure how much of its gradient energy that removes.
A sharp frame loses most of its fine gradients; an already blurred one loses little. The score is a
ratio, so it does not depend on contrast or brightness (a dark, low-contrast frame is not "blurred"),
and it is measured at a fixed reference width so the same optics give the same score at any
resolution. OpenCV has no no-reference blur metric, hence these few lines (built on cv2 filters).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["REFERENCE_WIDTH", "exposure", "frame_sharpness", "sharpness"]

REFERENCE_WIDTH = 320  # sharpness is measured on frames resized to this width (px)
_REBLUR_SIGMA = 1.0  # px at REFERENCE_WIDTH
_DARK_LEVEL = 16  # luma <= this counts as crushed black (video "black" level)
_BRIGHT_LEVEL = 250  # luma >= this counts as blown out
_MAX_FRAMES = 16  # sharpness looks at most this many evenly spaced frames


def _to_reference_width(frame: np.ndarray, width: int) -> np.ndarray:
    """[h, w] uint8 -> [h', width] float32 (INTER_AREA down, INTER_LINEAR up)."""
    h, w = frame.shape
    if w == width:
        return frame.astype(np.float32)
    interp = cv2.INTER_AREA if w > width else cv2.INTER_LINEAR
    new_h = max(8, int(round(h * width / w)))
    return cv2.resize(frame, (width, new_h), interpolation=interp).astype(np.float32)


def _gradient_energy(img: np.ndarray) -> np.ndarray:
    """Squared Sobel gradient magnitude [h, w] float32, a 2 px border dropped."""
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    return (gx * gx + gy * gy)[2:-2, 2:-2]


def frame_sharpness(frame: np.ndarray, width: int = REFERENCE_WIDTH) -> float:
    """Share of one frame's gradient energy that a 1 px re-blur removes, in [0, 1]; NaN when flat."""
    img = _to_reference_width(frame, width)  # [h, width] float32
    e0 = _gradient_energy(img)
    e1 = _gradient_energy(cv2.GaussianBlur(img, (0, 0), _REBLUR_SIGMA))
    # only pixels that carry an edge count, so large flat areas (sky, walls) do not dilute the score
    strong = e0 >= max(float(np.percentile(e0, 75)), 1e-6)
    total = float(e0[strong].sum())
    if total <= 1e-3 * strong.size:
        return float("nan")
    return float(np.clip(1.0 - e1[strong].sum() / total, 0.0, 1.0))


def sharpness(gray: np.ndarray, width: int = REFERENCE_WIDTH) -> float:
    """Median re-blur sharpness of up to 16 evenly spaced frames of gray [N, h, w] uint8; low = blurred.

    Sharp synthetic footage scores about 0.5-0.7, strong blur (sigma >= 3 px at 320 px) below 0.3.
    NaN when every frame is flat (no gradients at all).
    """
    if gray.ndim != 3 or gray.shape[0] == 0:
        raise ValueError(f"expected gray frames [N, h, w], got shape {gray.shape}")
    pick = np.unique(np.linspace(0, gray.shape[0] - 1, min(_MAX_FRAMES, gray.shape[0])).round().astype(int))
    values = np.array([frame_sharpness(gray[i], width) for i in pick])  # [M]
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else float("nan")


def exposure(gray: np.ndarray) -> dict[str, float]:
    """Mean luma (0-255) and fractions of crushed-black (<= 16) and blown-out (>= 250) pixels of [N, h, w]."""
    if gray.ndim != 3 or gray.shape[0] == 0:
        raise ValueError(f"expected gray frames [N, h, w], got shape {gray.shape}")
    hist = np.bincount(gray.reshape(-1), minlength=256).astype(np.float64)  # [256]
    n = hist.sum()
    return {
        "brightness": float((hist * np.arange(256)).sum() / n),
        "dark_fraction": float(hist[: _DARK_LEVEL + 1].sum() / n),
        "bright_fraction": float(hist[_BRIGHT_LEVEL:].sum() / n),
    }
