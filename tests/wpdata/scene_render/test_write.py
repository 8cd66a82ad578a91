from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from manifests.ids import render_id
from manifests.schemas import rows_to_table
from manifests.validate import validate_table
from wpdata.camera_paths import evaluate_trajectory, reachable_region
from wpdata.scene_render import TOO_MANY_HOLES, RenderLimits, render_trajectory, write_render
from wpdata.synth import intrinsics, sample_surface_points, trajectories
from wpdata.video.decode import decode_frames

W, H, FPS = 64, 36, 10.0


@pytest.fixture(scope="module")
def rendered(room_world, room_render_fn):
    c2w = trajectories.walking(room_world, 24, FPS, 2, speed=1.0)  # [24, 4, 4]
    K = intrinsics(W, H, 70.0)
    frames, alpha, depth = render_trajectory(room_render_fn, c2w, K, W, H)
    pts, _ = sample_surface_points(
        c2w,
        K,
        list(frames),
        [np.where(a > 0.5, d, np.inf) for a, d in zip(alpha, depth, strict=True)],
        3000,
        0,
    )
    traj = evaluate_trajectory(c2w, pts, extent=4.0, fps=FPS, kind="user", seed=5)
    return traj, frames, alpha, depth, K, pts


def test_write_render_repairs_and_writes_an_ok_render(rendered, tmp_path: Path) -> None:
    traj, frames, alpha, depth, K, pts = rendered
    alpha = alpha.copy()
    alpha[3:6, 10:16, 20:30] = 0.0  # a hole the renderer left in three frames
    frames = frames.copy()
    frames[3:6, 10:16, 20:30] = 0
    region = reachable_region(traj.c2w, margin_frac=0.05)
    row = write_render(tmp_path / "renders", "scene-a", traj, frames, alpha, K, manifest_dir=tmp_path,
                       region=region, points=pts, render_seconds=1.5)  # fmt: skip
    rid = render_id("scene-a", "user", 5)
    assert row["status"] == "ok" and row["render_id"] == rid and row["repaired_frames"] == 3
    assert row["video_path"] == f"renders/{rid}.mp4"
    assert row["hole_fraction_max"] == pytest.approx(60 / (W * H))
    assert validate_table("renders", rows_to_table("renders", [row])) == []
    video = decode_frames(tmp_path / row["video_path"])
    assert video.shape == (24, H, W, 3)
    assert np.abs(video[4, 10:16, 20:30].astype(float).mean() - frames[4, 10:16, 20:30].mean()) > 20  # filled
    np.testing.assert_array_equal(np.load(tmp_path / row["c2w_path"]), traj.c2w.astype(np.float32))
    np.testing.assert_array_equal(np.load(tmp_path / row["K_path"]), K.astype(np.float32))
    assert (tmp_path / "renders" / f"{rid}.png").stat().st_size > 0


def test_render_with_too_many_holes_is_dropped_with_the_reason(rendered, tmp_path: Path) -> None:
    traj, frames, alpha, depth, K, _ = rendered
    near_only = (depth < np.median(depth)).astype(np.float32)  # a reconstruction missing its far half
    row = write_render(tmp_path, "scene-a", traj, frames, near_only, K, RenderLimits(frame_hole_limit=0.25))
    assert row["status"] == "dropped" and row["drop_reasons"] == [TOO_MANY_HOLES]
    assert row["video_path"] is None and row["hole_fraction_mean"] > 0.25
    assert not list(tmp_path.glob("*.mp4"))
    assert validate_table("renders", rows_to_table("renders", [row])) == []
