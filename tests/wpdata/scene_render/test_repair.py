from __future__ import annotations

import numpy as np

from wpdata.scene_render import InpaintFixer, repair_frames


def _smooth_image(h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    img = np.stack([60 + 120 * x, 80 + 60 * np.sin(2 * y + x), 200 - 100 * y * x], -1)
    return np.clip(img, 0, 255).astype(np.uint8)  # [H, W, 3]


def test_inpaint_fills_a_punched_hole_close_to_the_truth() -> None:
    truth = _smooth_image()
    holes = np.zeros(truth.shape[:2], bool)
    holes[40:52, 60:74] = True
    punched = truth.copy()
    punched[holes] = 0
    fixed = InpaintFixer()(punched, holes)
    err = np.abs(fixed[holes].astype(float) - truth[holes].astype(float))
    assert err.mean() < 3.0 and err.max() < 12.0  # 0-255 levels; the punched hole was off by ~120
    np.testing.assert_array_equal(fixed[~holes], truth[~holes])


def test_repair_frames_only_touches_frames_with_holes() -> None:
    truth = np.stack([_smooth_image()] * 3)
    holes = np.zeros(truth.shape[:3], bool)
    holes[1, 10:20, 10:20] = True
    frames = truth.copy()
    frames[holes] = 0
    out, repaired = repair_frames(frames, holes, InpaintFixer(), repair_above=0.001)
    assert repaired.tolist() == [False, True, False]
    np.testing.assert_array_equal(out[[0, 2]], truth[[0, 2]])
    assert np.abs(out[1].astype(int) - truth[1].astype(int)).max() < 12
