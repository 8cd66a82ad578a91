"""SSIM against a reference computed another way (scipy Gaussian filters, per channel), and its gradient."""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from wpdata.splat.ssim import ssim


def _reference(a: np.ndarray, b: np.ndarray, sigma: float = 1.5, radius: int = 5) -> float:
    """Wang et al. SSIM with scipy's Gaussian filter, averaged over fully-inside windows."""
    f = lambda x: gaussian_filter(x, sigma, truncate=radius / sigma, mode="constant")  # noqa: E731
    vals = []
    for c in range(a.shape[2]):
        x, y = a[..., c].astype(np.float64), b[..., c].astype(np.float64)
        mx, my = f(x), f(y)
        vx, vy, cxy = f(x * x) - mx**2, f(y * y) - my**2, f(x * y) - mx * my
        c1, c2 = 0.01**2, 0.03**2
        s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
        vals.append(s[radius:-radius, radius:-radius])
    return float(np.mean(vals))


def test_matches_scipy_reference():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (40, 56, 3))
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1)
    ref = _reference(a, b)
    got = float(ssim(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)))
    assert abs(got - ref) < 1e-9
    assert 0.3 < ref < 0.95


def test_identity_is_one_and_gradient_flows():
    rng = np.random.default_rng(1)
    a = torch.tensor(rng.uniform(0, 1, (1, 3, 32, 32)), dtype=torch.float32)
    assert abs(float(ssim(a, a)) - 1.0) < 1e-5
    b = (a + 0.2 * torch.randn_like(a)).clamp(0, 1).requires_grad_(True)
    s = ssim(b, a, padding="same")
    s.backward()
    assert b.grad is not None and torch.isfinite(b.grad).all() and b.grad.abs().sum() > 0
