"""Scene readers on a synthetic DL3DV folder (exact cameras known) and on the real fox capture."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wpdata.scenes import detect_format, load_images, load_scene, read_dl3dv
from wpdata.synth import intrinsics, make_world, orbit, write_dl3dv_scene

W, H, N = 128, 96, 10
FOX = Path(__file__).parents[3] / "../shared/realdata/instant_ngp_fox"


@pytest.fixture(scope="module")
def dl3dv(tmp_path_factory):
    world = make_world(3, "street", n_boxes=8)
    c2w = orbit(world, N, seed=2)
    K = intrinsics(W, H, 70.0)
    out = write_dl3dv_scene(tmp_path_factory.mktemp("dl3dv") / "scene", world, c2w, K, W, H, n_points=600)
    return out, c2w, K


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_dl3dv_factor_picks_images_n_and_scales_K(dl3dv, factor):
    root, c2w, K = dl3dv
    s = load_scene(root, factor=factor)
    assert s.source_format == "dl3dv" and s.num_images == N and s.num_missing == 0
    sub = "images" if factor == 1 else f"images_{factor}"
    assert all(p.parent.name == sub for p in s.image_paths)
    assert (s.widths == W // factor).all() and (s.heights == H // factor).all()
    np.testing.assert_allclose(s.K[0], np.diag([1 / factor, 1 / factor, 1]) @ K, atol=1e-9)
    np.testing.assert_allclose(s.c2w, c2w, atol=1e-6)  # COLMAP poses, sorted by name = render order
    assert len(s.points) > 100 and s.point_colors.shape == s.points.shape
    img = load_images(s)[3]
    assert img.shape == (H // factor, W // factor, 3) and img.dtype == np.uint8


def test_dl3dv_poses_from_transforms_match_colmap(dl3dv):
    root, c2w, _ = dl3dv
    a = read_dl3dv(root, factor=2, poses="transforms")
    b = read_dl3dv(root, factor=2, poses="colmap")
    np.testing.assert_allclose(a.c2w, b.c2w, atol=1e-6)
    np.testing.assert_allclose(a.K, b.K, atol=1e-9)
    np.testing.assert_allclose(a.points, b.points)


def test_split_holds_out_every_8th(dl3dv):
    s = load_scene(dl3dv[0])
    assert s.test_idx == [0, 8] and s.train_idx == [1, 2, 3, 4, 5, 6, 7, 9]


def test_formats_are_detected(dl3dv, tmp_path):
    root = dl3dv[0]
    assert detect_format(root) == "dl3dv"
    (tmp_path / "ns").mkdir()
    (tmp_path / "ns" / "transforms.json").write_text((root / "transforms.json").read_text())
    assert detect_format(tmp_path / "ns") == "nerfstudio"
    assert detect_format(root / "colmap" / "sparse" / "0") == "colmap"


def test_nerfstudio_folder_counts_missing_and_resizes(dl3dv, tmp_path):
    root = dl3dv[0]
    meta = json.loads((root / "transforms.json").read_text())
    for fr in meta["frames"]:
        fr["file_path"] = str((root / fr["file_path"]).resolve())
    meta["frames"].append({**meta["frames"][0], "file_path": "images/not_there.png"})
    (tmp_path / "transforms.json").write_text(json.dumps(meta))
    s = load_scene(tmp_path, factor=4)
    assert s.source_format == "nerfstudio" and (s.num_listed, s.num_missing, s.num_images) == (N + 1, 1, N)
    assert len(s.points) == 0  # no points: the trainer initialises at random
    assert load_images(s)[0].shape == (H // 4, W // 4, 3)  # resized on load


def test_colmap_folder(dl3dv, tmp_path):
    import shutil

    root = dl3dv[0]
    shutil.copytree(root / "colmap" / "sparse", tmp_path / "sparse")
    shutil.copytree(root / "images_2", tmp_path / "images_2")
    s = load_scene(tmp_path, factor=2)
    assert s.source_format == "colmap" and s.num_images == N and (s.widths == W // 2).all()
    np.testing.assert_allclose(s.c2w, dl3dv[1], atol=1e-6)


@pytest.mark.skipif(not FOX.is_dir(), reason=f"real fox scene not present at {FOX}")
def test_real_fox_67_listed_17_missing_50_read():
    s = load_scene(FOX, factor=8)
    assert s.source_format == "nerfstudio"
    assert (s.num_listed, s.num_missing, s.num_images) == (67, 17, 50)
    assert (s.widths == 135).all() and (s.heights == 240).all()
    np.testing.assert_allclose(s.K[0, 0, 0], 1375.52 / 8)
    assert s.distortion[0]["k1"] == pytest.approx(0.0578421)
    assert len(s.test_idx) == 7 and len(s.train_idx) == 43
    img = load_images(s.subset([0]))[0]  # decoded, resized and undistorted
    assert img.shape == (240, 135, 3) and 20 < img.mean() < 235
