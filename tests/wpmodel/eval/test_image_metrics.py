"""PSNR of a known MSE, SSIM of known images (identical -> 1, flat images -> the closed form)."""

from __future__ import annotations

import numpy as np
import pytest

from wpmodel.eval import mse, psnr, ssim


def _textured(seed: int = 0, T: int = 2, size: int = 24) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(40, 216, (T, size, size, 3)).astype(np.uint8)


def test_psnr_of_a_known_mse():
    gt = _textured()
    signs = np.where(np.indices(gt.shape).sum(0) % 2 == 0, 1, -1)  # [T, H, W, 3] +-1 checkerboard
    gen = (gt.astype(int) + 5 * signs).astype(np.uint8)  # every pixel off by exactly 5: MSE 25
    np.testing.assert_allclose(mse(gen, gt), [25.0, 25.0])
    np.testing.assert_allclose(psnr(gen, gt), 10 * np.log10(255.0**2 / 25.0))
    assert np.isinf(psnr(gt, gt)).all()


def test_ssim_is_one_on_identical_frames_and_falls_with_noise():
    gt = _textured(1)
    np.testing.assert_allclose(ssim(gt, gt), 1.0, atol=1e-12)
    rng = np.random.default_rng(2)
    scores = []
    for sigma in (4, 16, 48):
        noisy = np.clip(gt + rng.normal(0, sigma, gt.shape), 0, 255).astype(np.uint8)
        scores.append(ssim(noisy, gt).mean())
    assert 1.0 > scores[0] > scores[1] > scores[2]


def test_ssim_of_flat_frames_is_the_luminance_term():
    a, b = np.full((1, 16, 16, 3), 100, np.uint8), np.full((1, 16, 16, 3), 150, np.uint8)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    want = (2 * 100 * 150 + c1) / (100**2 + 150**2 + c1) * (c2 / c2)  # variances and covariance are 0
    np.testing.assert_allclose(ssim(a, b), [want], rtol=1e-9)


def test_metrics_reject_mismatched_frames():
    with pytest.raises(ValueError, match="one shape"):
        psnr(np.zeros((2, 8, 8, 3), np.uint8), np.zeros((2, 8, 9, 3), np.uint8))
