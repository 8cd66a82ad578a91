from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.camera_paths import (
    evaluate_trajectory,
    load_user_trajectory,
    read_trajectory_file,
    resample_trajectory,
)
from wpdata.geometry import read_kitti, read_tum, write_kitti

EVO = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata" / "evo_trajectories"


def _need(name: str) -> Path:
    path = EVO / name
    if not path.exists():
        pytest.skip(f"evo trajectory file absent: {path} (the shared realdata folder is not mounted)")
    return path


def test_tum_file_resampled_to_fps_matches_the_source() -> None:
    path = _need("freiburg1_xyz-groundtruth.txt")
    times, c2w = read_tum(path)
    out = load_user_trajectory(path, fps=30.0)
    assert len(out) == int(np.floor((times[-1] - times[0]) * 30.0)) + 1
    k = np.arange(0, len(out), 37)  # resampled frame k sits at times[0] + k / 30
    want = np.array([np.interp(times[0] + k / 30.0, times, c2w[:, i, 3]) for i in range(3)]).T
    np.testing.assert_allclose(out[k, :3, 3], want, atol=2e-3)  # ground truth at ~100 Hz: spline ~ linear
    R = out[:, :3, :3]
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape), atol=1e-9)


def test_kitti_file_with_times_file() -> None:
    path, times_path = _need("KITTI_00_gt.txt"), _need("KITTI_00_gt_times.txt")
    times, c2w = read_trajectory_file(path, times_path=times_path)
    assert times.shape == (len(read_kitti(path)),)
    out = load_user_trajectory(path, fps=10.0, times_path=times_path, max_frames=200)
    assert out.shape == (200, 4, 4)
    ang = (Rotation.from_matrix(out[0, :3, :3]).inv() * Rotation.from_matrix(c2w[0, :3, :3])).magnitude()
    assert ang < 1e-9 and np.allclose(out[0, :3, 3], c2w[0, :3, 3])


def test_kitti_without_times_uses_source_fps_and_stats(tmp_path: Path) -> None:
    s = np.linspace(0.0, 5.0, 11)
    c2w = np.tile(np.eye(4), (11, 1, 1))
    c2w[:, 0, 3] = s  # walking along x, looking along +z
    write_kitti(tmp_path / "path.txt", c2w)
    out = load_user_trajectory(tmp_path / "path.txt", fps=20.0, source_fps=2.0)  # 5 s at 20 fps
    assert len(out) == 101
    np.testing.assert_allclose(out[:, 0, 3], np.linspace(0.0, 5.0, 101), atol=1e-9)
    points = np.array([[2.5, 0.0, 3.0], [2.5, 1.0, 3.0]])
    traj = evaluate_trajectory(out, points, extent=5.0, fps=20.0)
    assert traj.kind == "user" and traj.min_clearance == pytest.approx(3.0)


def test_resample_rejects_a_single_pose() -> None:
    with pytest.raises(ValueError, match="two poses"):
        resample_trajectory(np.zeros(3), np.tile(np.eye(4), (3, 1, 1)), 10.0)
