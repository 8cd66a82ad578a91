"""Pixel K construction and scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wpdata.geometry import K_params, focal_from_fov, make_K, scale_K


def test_make_and_scale_K() -> None:
    K = make_K(500.0, 400.0, 320.0, 240.0)
    np.testing.assert_array_equal(K, [[500, 0, 320], [0, 400, 240], [0, 0, 1]])
    half = scale_K(K, 0.5)
    assert K_params(half) == (250.0, 200.0, 160.0, 120.0)
    assert K_params(scale_K(K, 2.0, 0.25)) == (1000.0, 100.0, 640.0, 60.0)
    assert K[0, 0] == 500.0  # input untouched
    batch = scale_K(np.stack([K, K]), 0.5)
    np.testing.assert_array_equal(batch[1], half)


def test_fov_and_errors() -> None:
    assert focal_from_fov(math.pi / 2, 640) == pytest.approx(320.0)
    with pytest.raises(ValueError, match="positive"):
        make_K(0.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="field of view"):
        focal_from_fov(4.0, 640)
