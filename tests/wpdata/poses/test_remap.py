"""Mapping the frames a main model left out on their own (`wpdata.poses.remap`), on a rendered walk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pycolmap
import pytest

from wpdata.poses import SfMConfig, estimate_poses
from wpdata.poses.remap import remap_left_out
from wpdata.synth import intrinsics, make_world, walking, write_sekai_clip

W, H, T, FPS = 320, 180, 64, 24.0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SfM work folder (database, frames, models) of a 64-frame street walk with its K given."""
    tmp = tmp_path_factory.mktemp("remap")
    world = make_world(0, "street")
    mp4 = write_sekai_clip(tmp, world, walking(world, T, FPS, seed=0), intrinsics(W, H), W, H, FPS, "walk")
    work = tmp / "work"
    estimate_poses(mp4, SfMConfig(max_frames=32, remap_min_frames=0), K=intrinsics(W, H), work_dir=work)
    return work


def _main_without_first(work: Path, k: int) -> tuple[pycolmap.Reconstruction, list[str], set[str]]:
    """The largest model with its first k registered frames deregistered: (model, all names, dropped)."""
    models = [pycolmap.Reconstruction(str(p)) for p in (work / "sparse").iterdir() if p.name.isdigit()]
    main = max(models, key=lambda r: r.num_reg_images())
    names = sorted(p.name for p in (work / "images").iterdir())
    by_name = {im.name: im for im in main.images.values()}
    dropped = [n for n in names if n in by_name][:k]
    for n in dropped:
        main.deregister_frame(by_name[n].frame_id)
    return main, names, set(dropped)


def test_left_out_frames_come_back_as_one_model(workspace: Path) -> None:
    main, names, dropped = _main_without_first(workspace, 10)
    assert not dropped & {im.name for im in main.images.values() if im.has_pose}
    models = remap_left_out(
        workspace / "database.db", workspace / "images", workspace / "left", names, main,
        pycolmap.IncrementalPipelineOptions(), 6, 2.0, 40,
    )  # fmt: skip
    assert models, "no model of the left-out frames"
    best = max(models, key=lambda m: m.num_reg_images())
    got = {im.name for im in best.images.values() if im.has_pose}
    assert got <= dropped and len(got) >= 8, (sorted(got), sorted(dropped))
    c = np.array([best.images[i].projection_center() for i in best.reg_image_ids()])
    assert np.isfinite(c).all()


def test_nothing_is_mapped_below_the_minimum(workspace: Path) -> None:
    main, names, _ = _main_without_first(workspace, 5)
    args = (workspace / "database.db", workspace / "images", workspace / "none", names, main)
    opts = pycolmap.IncrementalPipelineOptions()
    assert remap_left_out(*args, opts, 6, 2.0, 40) == []
    assert remap_left_out(*args, opts, 0, 2.0, 40) == []
    assert not (workspace / "none").exists()
