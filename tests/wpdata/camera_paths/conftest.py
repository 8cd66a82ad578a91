"""A small synthetic scene for the trajectory tests: a room, walking training cameras, surface points."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.synth import intrinsics, make_world, render, sample_surface_points, trajectories


@pytest.fixture(scope="session")
def room_scene() -> tuple[np.ndarray, np.ndarray]:
    """(training cameras c2w [32, 4, 4] OpenCV, scene points [P, 3]) of a synthetic room (z up)."""
    world = make_world(0, "room")
    cams = trajectories.walking(world, 128, 15.0, 1, speed=1.0)[::4]  # [32, 4, 4]
    K = intrinsics(96, 54, 70.0)
    views = [render(world, c, K, 96, 54) for c in cams]
    pts, _ = sample_surface_points(
        cams, K, [v[0] for v in views], [v[1] for v in views], 8000, 0, max_views=32
    )
    return cams, pts
