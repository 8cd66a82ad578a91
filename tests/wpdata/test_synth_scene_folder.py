"""DL3DV scene folders: layout, transforms.json round trip, COLMAP model loads and reprojects exactly."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pycolmap
import pytest

from wpdata.geometry import read_colmap_model, read_nerfstudio
from wpdata.synth import intrinsics, make_world, orbit, write_dl3dv_scene

W, H, N = 128, 72, 8


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    world = make_world(5, "street", n_boxes=10)
    c2w = orbit(world, N, seed=1)
    K = intrinsics(W, H, 70.0)
    out = write_dl3dv_scene(tmp_path_factory.mktemp("dl3dv") / "scene_a", world, c2w, K, W, H, n_points=800)
    return out, c2w, K


def test_folder_has_every_file(scene):
    out, c2w, K = scene
    names = [f"frame_{i:05d}.png" for i in range(1, N + 1)]
    for sub, s in (("images", 1), ("images_2", 2), ("images_4", 4), ("images_8", 8)):
        assert sorted(p.name for p in (out / sub).iterdir()) == names
        img = cv2.imread(str(out / sub / names[0]))
        assert img.shape == (H // s, W // s, 3)
    for f in ("cameras.txt", "images.txt", "points3D.txt"):
        assert (out / "colmap" / "sparse" / "0" / f).is_file()
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")], "temp folder left behind"


def test_transforms_json_is_opengl_and_reads_back_as_opencv(scene):
    out, c2w, K = scene
    raw = json.loads((out / "transforms.json").read_text())
    gl = np.array(raw["frames"][0]["transform_matrix"])
    np.testing.assert_allclose(gl, c2w[0] @ np.diag([1.0, -1.0, -1.0, 1.0]), atol=1e-9)
    ns = read_nerfstudio(out / "transforms.json")
    assert not ns.missing and len(ns.frames) == N
    np.testing.assert_allclose(ns.c2w, c2w, atol=1e-9)
    np.testing.assert_allclose(ns.K[0], K, atol=1e-9)


def test_colmap_model_loads_with_pycolmap_and_reprojects_within_a_pixel(scene):
    out, c2w, K = scene
    rec = pycolmap.Reconstruction(str(out / "colmap" / "sparse" / "0"))
    assert rec.num_images() == N and rec.num_points3D() > 200
    errors = []
    for pt in rec.points3D.values():
        assert pt.track.length() >= 2
        for el in pt.track.elements:
            im = rec.images[el.image_id]
            proj = rec.cameras[im.camera_id].img_from_cam(im.cam_from_world() * pt.xyz)
            errors.append(np.linalg.norm(proj - im.points2D[el.point2D_idx].xy))
    assert max(errors) < 1.0
    model = read_colmap_model(out / "colmap" / "sparse" / "0")
    np.testing.assert_allclose(model.c2w(), c2w, atol=1e-6)


def test_points_lie_on_rendered_surfaces(scene):
    out, c2w, K = scene
    from wpdata.synth import project, render

    model = read_colmap_model(out / "colmap" / "sparse" / "0")
    world = make_world(5, "street", n_boxes=10)
    _, depth = render(world, c2w[0], K, W, H)
    im = model.images[0]
    xyz = model.xyz[np.searchsorted(model.point3D_ids, im.point3D_ids)]
    xy, z = project(K, c2w[0], xyz)
    px = np.floor(xy).astype(int)
    np.testing.assert_allclose(depth[px[:, 1], px[:, 0]], z, rtol=0.01)


def test_rejects_a_single_view(tmp_path):
    world = make_world(5, "room")
    with pytest.raises(ValueError, match="N >= 2"):
        write_dl3dv_scene(tmp_path / "s", world, np.eye(4)[None], intrinsics(W, H), W, H)
