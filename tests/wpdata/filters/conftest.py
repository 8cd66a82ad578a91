"""Small rendered clips shared by the filter tests (rendered once per session, written by the tests)."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.synth import add_shake, intrinsics, make_world, render_frames, static, walking

W, H, FPS, T = 320, 180, 15.0, 60


def _render(world, c2w: np.ndarray) -> np.ndarray:
    return np.stack(list(render_frames(world, c2w, intrinsics(W, H, 70.0), W, H)))  # [T, H, W, 3] uint8


@pytest.fixture(scope="session")
def street():
    return make_world(5, "street")


@pytest.fixture(scope="session")
def walking_frames(street) -> np.ndarray:
    """4 s of smooth walking through a street: [T, H, W, 3] uint8."""
    return _render(street, walking(street, T, FPS, seed=3, speed=1.0))


@pytest.fixture(scope="session")
def shaky_frames(street) -> np.ndarray:
    """The same walk with 4 deg / 5 Hz hand-held jitter: [T, H, W, 3] uint8."""
    c2w = add_shake(walking(street, T, FPS, seed=3, speed=1.0), FPS, seed=4, amplitude_deg=4.0, freq_hz=5.0)
    return _render(street, c2w)


@pytest.fixture(scope="session")
def static_frames(street) -> np.ndarray:
    """A camera on a tripod: [T, H, W, 3] uint8."""
    return _render(street, static(street, T, FPS, seed=6))
