"""A synthetic world rendered as a scene renderer: rgb in [0, 1], alpha = finite-depth mask, depth."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.synth import make_world, render
from wpdata.synth.world import World


def synth_render_fn(world: World):
    """render_fn(c2w, K, width, height) -> (rgb [H, W, 3] float, alpha [H, W], depth [H, W]) of ``world``."""

    def render_fn(c2w: np.ndarray, K: np.ndarray, width: int, height: int):
        rgb, depth = render(world, c2w, K, width, height)
        alpha = np.isfinite(depth).astype(np.float32)  # sky = nothing reconstructed there
        return rgb.astype(np.float32) / 255.0, alpha, np.where(np.isfinite(depth), depth, 0.0)

    return render_fn


@pytest.fixture(scope="session")
def room_world() -> World:
    return make_world(0, "room")


@pytest.fixture(scope="session")
def room_render_fn(room_world: World):
    return synth_render_fn(room_world)
