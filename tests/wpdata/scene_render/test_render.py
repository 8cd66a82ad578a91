from __future__ import annotations

import numpy as np
import pytest

from wpdata.scene_render import hole_fractions, hole_masks, render_trajectory
from wpdata.synth import intrinsics, render, trajectories


def test_render_trajectory_matches_per_view_renders(room_world, room_render_fn) -> None:
    c2w = trajectories.walking(room_world, 4, 10.0, 0)
    K = intrinsics(64, 36, 70.0)
    frames, alpha, depth = render_trajectory(room_render_fn, c2w, K, 64, 36)
    assert frames.shape == (4, 36, 64, 3) and frames.dtype == np.uint8
    assert alpha.shape == depth.shape == (4, 36, 64)
    rgb, d = render(room_world, c2w[2], K, 64, 36)
    np.testing.assert_array_equal(frames[2], rgb)
    np.testing.assert_array_equal(alpha[2] > 0.5, np.isfinite(d))


def test_render_fn_of_the_wrong_size_is_an_error(room_world, room_render_fn) -> None:
    fn = room_render_fn
    c2w = trajectories.walking(room_world, 2, 10.0, 0)
    with pytest.raises(ValueError, match="returned rgb"):
        render_trajectory(lambda p, K, w, h: fn(p, K, w + 1, h), c2w, intrinsics(32, 18), 32, 18)


def test_hole_fractions() -> None:
    alpha = np.ones((3, 10, 10), np.float32)
    alpha[1, :5] = 0.2  # half the frame below the threshold
    alpha[2, 0, 0] = np.nan
    np.testing.assert_allclose(hole_fractions(alpha, 0.5), [0.0, 0.5, 0.01])
    assert hole_masks(alpha)[2, 0, 0]
