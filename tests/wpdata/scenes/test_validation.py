"""Bad scenes fail early with SceneError and a message that says what is wrong."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from wpdata.scenes import SceneError, load_images, load_scene
from wpdata.synth import intrinsics, make_world, orbit, write_dl3dv_scene

W, H, N = 64, 48, 6


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory):
    world = make_world(1, "room", n_boxes=3)
    c2w = orbit(world, N, seed=0)
    return write_dl3dv_scene(
        tmp_path_factory.mktemp("v") / "s", world, c2w, intrinsics(W, H), W, H, n_points=200
    )


def _ns_copy(src, dst, edit):
    """A nerfstudio folder: the scene's images and an edited transforms.json."""
    shutil.copytree(src / "images", dst / "images")
    meta = json.loads((src / "transforms.json").read_text())
    edit(meta)
    (dst / "transforms.json").write_text(json.dumps(meta))
    return dst


def test_nan_pose_is_an_error(scene_dir, tmp_path):
    def edit(m):
        m["frames"][2]["transform_matrix"][0][3] = float("nan")

    with pytest.raises(SceneError, match="non-finite"):
        load_scene(_ns_copy(scene_dir, tmp_path, edit))


def test_missing_pose_is_an_error(scene_dir, tmp_path):
    def edit(m):
        del m["frames"][1]["transform_matrix"]

    with pytest.raises(SceneError, match="transform_matrix"):
        load_scene(_ns_copy(scene_dir, tmp_path, edit))


def test_too_few_images(scene_dir, tmp_path):
    def edit(m):
        m["frames"] = m["frames"][:2]

    with pytest.raises(SceneError, match="2 usable images, need at least 3"):
        load_scene(_ns_copy(scene_dir, tmp_path, edit))


def test_all_images_missing_is_too_few(scene_dir, tmp_path):
    shutil.copy(scene_dir / "transforms.json", tmp_path / "transforms.json")
    with pytest.raises(SceneError, match=r"0 usable images.*missing 6"):
        load_scene(tmp_path)


def test_unreadable_image(scene_dir, tmp_path):
    d = _ns_copy(scene_dir, tmp_path, lambda m: None)
    (d / "images" / "frame_00003.png").write_bytes(b"not a png")
    s = load_scene(d)
    with pytest.raises(SceneError, match="unreadable image.*frame_00003"):
        load_images(s)
    assert cv2.imread(str(d / "images" / "frame_00001.png")) is not None


def test_not_a_scene(tmp_path):
    with pytest.raises(SceneError, match="not a scene folder"):
        load_scene(tmp_path)
    with pytest.raises(SceneError, match="does not exist"):
        load_scene(tmp_path / "nope")


def test_non_rigid_pose(scene_dir, tmp_path):
    def edit(m):
        m["frames"][0]["transform_matrix"] = (np.diag([2.0, 1, 1, 1])).tolist()

    with pytest.raises(SceneError, match="orthonormal"):
        load_scene(_ns_copy(scene_dir, tmp_path, edit))
