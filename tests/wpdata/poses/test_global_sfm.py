"""The global mapper (GLOMAP on the project's two-view rotations) on a rendered loop clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.poses import SfMConfig, estimate_poses, pose_errors
from wpdata.synth import intrinsics, loop, make_world, write_sekai_clip

W, H, T, FPS = 640, 360, 96, 24.0
CONFIG = SfMConfig(mapper="global")  # 48 sampled frames


@pytest.fixture(scope="module")
def loop_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """A 96-frame 640x360 loop in a plaza (incremental: 10 deg off): (mp4, GT c2w [T, 4, 4], GT K [3, 3])."""
    world = make_world(1241, "plaza")
    c2w, K = loop(world, T, FPS, 1241), intrinsics(W, H)
    return write_sekai_clip(tmp_path_factory.mktemp("loop"), world, c2w, K, W, H, FPS, "loop"), c2w, K


@pytest.mark.slow
def test_global_mapper_gets_the_loop_right_and_is_deterministic(loop_clip, tmp_path: Path) -> None:
    mp4, gt, K = loop_clip
    tr = estimate_poses(mp4, CONFIG, work_dir=tmp_path / "a")
    err = pose_errors(gt, tr.c2w)
    assert err["rot_median_deg"] < 1.0 and err["ate_rel"] < 0.02, err
    assert tr.registered_fraction >= 0.9
    assert abs(tr.K[0, 0, 0] / K[0, 0] - 1) < 0.03  # focal from moving pairs, refined
    again = estimate_poses(mp4, CONFIG, work_dir=tmp_path / "b")
    np.testing.assert_array_equal(again.c2w, tr.c2w)


@pytest.mark.parametrize("name", ["hierarchical", "Auto", ""])
def test_unknown_mapper_is_refused(loop_clip, name: str) -> None:
    with pytest.raises(ValueError, match="unknown mapper .*; known: incremental, global, auto"):
        estimate_poses(loop_clip[0], SfMConfig(max_frames=8, mapper=name), K=loop_clip[2])
