from pathlib import Path

import av
import numpy as np
import pytest

from manifests.io import read_manifest
from pipelines.jobs.curate_scenes import curate_scenes, discover_scenes
from pipelines.jobs.curate_scenes_config import load_scenes_config
from pipelines.runtime.store import manifest_path
from wpdata.geometry import write_tum
from wpdata.synth import intrinsics, make_world, orbit, write_dl3dv_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenes_in(tmp_path_factory) -> Path:
    """A folder of scenes: a small DL3DV scene, one with a malformed transforms.json, one with 3 images."""
    root = tmp_path_factory.mktemp("scenes_in")
    world = make_world(0, "street", n_boxes=8)
    write_dl3dv_scene(
        root / "good", world, orbit(world, 16, seed=0), intrinsics(128, 96), 128, 96, n_points=1500
    )
    write_dl3dv_scene(
        root / "few", world, orbit(world, 3, seed=1), intrinsics(128, 96), 128, 96, n_points=200
    )
    (root / "broken").mkdir()
    (root / "broken" / "transforms.json").write_text("{not json")
    return root


def _config(**trajectories):
    return load_scenes_config(
        None,
        {
            "reader": {"factor": 4, "min_images": 8},
            "reconstruct": {"iterations": 60, "time_budget_s": None, "sh_degree": 1, "checkpoint_every": 30},
            "trajectories": {
                "kinds": ["out_and_back", "look_around"],
                "num_frames": 24,
                "fps": 4.0,
                **trajectories,
            },
            "render": {"width": 32},
        },
    )


def _rows(out: Path, table: str) -> dict[str, dict]:
    key = "scene_id" if table == "scenes" else "render_id"
    return {r[key]: r for r in read_manifest(manifest_path(out, table)).to_pylist()}


def test_scenes_are_reconstructed_rendered_and_bad_ones_fail(
    scenes_in: Path, tmp_path: Path, ray_cluster
) -> None:
    out = tmp_path / "out"
    assert len(discover_scenes([scenes_in])) == 3
    res = curate_scenes([scenes_in], out, config=_config(), progress=False)
    scenes = {Path(r["path"]).name: r for r in _rows(out, "scenes").values()}
    assert scenes["good"]["status"] == "ok" and scenes["good"]["iterations"] == 60
    assert scenes["good"]["num_test"] == 2 and scenes["good"]["psnr_test"] > 10
    assert scenes["broken"]["status"] == "failed" and "transforms.json" in scenes["broken"]["error"]
    assert scenes["few"]["status"] == "failed" and "3" in scenes["few"]["error"]
    mdir = manifest_path(out, "scenes").parent
    assert (mdir / scenes["good"]["ply_path"]).is_file()
    renders = _rows(out, "renders")
    assert res.renders.total.by_status == {"ok": 2, "dropped": 0, "failed": 0}
    for r in renders.values():
        assert r["scene_id"] == scenes["good"]["scene_id"] and r["revisit_fraction"] > 0.2
        with av.open(str(mdir / r["video_path"])) as c:
            assert sum(1 for _ in c.decode(video=0)) == 24 == r["num_frames"]
        assert np.load(mdir / r["c2w_path"]).shape == (24, 4, 4)
        assert (mdir / r["plot_path"]).is_file()

    # a user trajectory (TUM) added on a rerun: done items are skipped, the new one is rendered
    cams = np.load(mdir / scenes["good"]["cameras_path"])
    c2w = cams["c2w"][cams["train_idx"]][:6]  # [6, 4, 4] normalised training cameras
    tum = tmp_path / "path.tum"
    write_tum(tum, np.arange(6, dtype=np.float64), c2w)
    res2 = curate_scenes([scenes_in], out, config=_config(user_files=[str(tum)]), progress=False)
    assert res2.scenes.skipped == 1 and res2.renders.skipped == 2 and res2.renders.processed == 1
    user = [r for r in _rows(out, "renders").values() if r["trajectory_kind"] == "user"]
    assert len(user) == 1 and user[0]["status"] == "ok" and user[0]["trajectory_path"] == str(tum.resolve())
