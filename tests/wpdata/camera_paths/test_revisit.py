from __future__ import annotations

import numpy as np

from wpdata.camera_paths.revisit import revisit_fraction, revisit_mask
from wpdata.geometry import look_at

FPS = 10.0


def _walk(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Cameras at points [T, 3] looking at targets [T, 3] in a z-up world: [T, 4, 4]."""
    return np.stack([look_at(p, t, up=(0.0, 0.0, 1.0)) for p, t in zip(points, targets, strict=True)])


def test_straight_walk_has_no_revisits() -> None:
    s = np.arange(60) / FPS * 1.0  # 1 unit / s for 6 s
    pos = np.stack([s, np.zeros_like(s), np.full_like(s, 1.6)], -1)
    c2w = _walk(pos, pos + [1.0, 0.0, 0.0])
    mask = revisit_mask(c2w, FPS, view_dist=4.0)  # view distance = 2 s of walking
    assert revisit_fraction(mask) <= 0.05


def test_standing_still_revisits_after_the_gap() -> None:
    pos = np.tile([0.0, 0.0, 1.6], (40, 1))
    c2w = _walk(pos, pos + [1.0, 0.0, 0.0])
    mask = revisit_mask(c2w, FPS, view_dist=4.0, min_gap_s=2.0)
    assert not mask[:20].any() and mask[20:].all()


def test_walking_back_facing_out_revisits() -> None:
    s = np.concatenate([np.arange(30), 30 - np.arange(31)]) / FPS * 1.0  # out 3 s, back 3 s
    pos = np.stack([s, np.zeros_like(s), np.full_like(s, 1.6)], -1)
    c2w = _walk(pos, pos + [1.0, 0.0, 0.0])
    mask = revisit_mask(c2w, FPS, view_dist=4.0)
    assert not mask[:20].any()
    assert mask[40:].all()  # every return frame >= 2 s after the out frame at its place
