"""PSNR and SSIM of generated frames against ground-truth frames, per frame.

SSIM is Wang et al. (2004) with the usual constants (11x11 Gaussian window, sigma 1.5, K1 0.01,
K2 0.03, data range 255), computed per RGB channel and averaged, the mean over valid pixels as in
scikit-image's ``structural_similarity(..., gaussian_weights=True, channel_axis=-1)``. It is written
here (with cv2's Gaussian filter) because scikit-image is not a dependency of the project.
"""

from __future__ import annotations

import cv2
import numpy as np

DATA_RANGE = 255.0


def _pair(gen: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validated float64 [T, H, W, 3] copies of two uint8 frame stacks of the same shape."""
    a, b = np.asarray(gen), np.asarray(gt)
    if a.ndim == 3:
        a, b = a[None], b[None]
    if a.shape != b.shape or a.ndim != 4 or a.shape[-1] != 3:
        raise ValueError(f"frames must both be [T, H, W, 3] of one shape, got {a.shape} and {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def mse(gen: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Mean squared error per frame (0..255 scale): [T]."""
    a, b = _pair(gen, gt)
    return ((a - b) ** 2).mean(axis=(1, 2, 3))


def psnr(gen: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """PSNR in dB per frame of frames [T, H, W, 3] uint8: ``10 log10(255^2 / MSE)`` [T]; inf when equal."""
    err = mse(gen, gt)  # [T]
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(DATA_RANGE**2 / err)


def _ssim_plane(x: np.ndarray, y: np.ndarray, sigma: float, win: int) -> float:
    """SSIM of two float64 planes [H, W]: mean of the SSIM map over pixels a full window covers."""
    blur = lambda img: cv2.GaussianBlur(img, (win, win), sigma, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    c1, c2 = (0.01 * DATA_RANGE) ** 2, (0.03 * DATA_RANGE) ** 2
    mx, my = blur(x), blur(y)
    n = win * win
    cov = n / (n - 1)  # unbiased (co)variances, as scikit-image
    vx = cov * (blur(x * x) - mx * mx)
    vy = cov * (blur(y * y) - my * my)
    vxy = cov * (blur(x * y) - mx * my)
    s = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))  # [H, W]
    pad = (win - 1) // 2
    inner = s[pad : s.shape[0] - pad, pad : s.shape[1] - pad]
    return float((inner if inner.size else s).mean())


def ssim(gen: np.ndarray, gt: np.ndarray, sigma: float = 1.5, window: int = 11) -> np.ndarray:
    """SSIM per frame of frames [T, H, W, 3] uint8, channels averaged: [T] in [-1, 1], 1 when equal."""
    a, b = _pair(gen, gt)
    win = min(window, *(d - (1 - d % 2) for d in a.shape[1:3]))  # odd, at most the frame size
    if win < 3:
        raise ValueError(f"frames {a.shape[2]}x{a.shape[1]} are too small for SSIM (need >= 3x3)")
    out = np.empty(len(a))
    for t in range(len(a)):
        out[t] = np.mean([_ssim_plane(a[t, ..., c], b[t, ..., c], sigma, win) for c in range(3)])
    return out
