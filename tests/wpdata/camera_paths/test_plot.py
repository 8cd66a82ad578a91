from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from wpdata.camera_paths import generate_trajectory, plot_trajectory, reachable_region


def test_plot_marks_revisited_stretches(room_scene, tmp_path: Path) -> None:
    cams, pts = room_scene
    traj = generate_trajectory(cams, pts, "look_around", 0, 150, 15.0)
    region = reachable_region(cams)
    mask = np.zeros(len(traj.c2w), bool)
    plain = cv2.imread(str(plot_trajectory(tmp_path / "a.png", region, pts, traj.c2w, mask, 15.0)))
    gen = generate_trajectory(cams, pts, "zig_zag", 0, 150, 15.0)
    marked = cv2.imread(
        str(plot_trajectory(tmp_path / "b.png", region, pts, gen.c2w, gen.revisit_mask, 15.0, cams))
    )
    assert plain.shape == marked.shape == (512, 512, 3)
    red = (marked[..., 2] > 200) & (marked[..., 1] < 40) & (marked[..., 0] < 40)  # BGR: revisit stroke
    assert gen.revisit_mask.any() and red.sum() > 50
    grey = (plain == 150).all(axis=2)
    assert grey.sum() > 500  # the scene's points are drawn
