"""COLMAP text/binary model IO: round trips, and the binary reader checked against pycolmap's writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.geometry import (
    ColmapImage,
    ColmapModel,
    find_colmap_model,
    look_at,
    make_camera,
    read_colmap_model,
    write_colmap_binary,
    write_colmap_text,
)


def make_model(seed: int = 0) -> ColmapModel:
    """A small consistent model: 5 images on 3 camera models, 15 points each seen by one keypoint."""
    rng = np.random.default_rng(seed)
    cams = {
        1: make_camera("PINHOLE", 640, 480, [500.0, 510.0, 320.0, 240.0]),
        2: make_camera("OPENCV", 320, 240, [200.0, 201.0, 160.0, 120.0, 0.1, -0.02, 0.001, 0.002]),
        3: make_camera("SIMPLE_RADIAL", 100, 80, [90.0, 50.0, 40.0, 0.01]),
    }
    images, tracks = [], []
    for k in range(5):
        eye = rng.normal(size=3) + np.array([0.0, 0.0, -5.0])
        c2w = look_at(eye, rng.normal(size=3) * 0.1, np.array([0.0, -1.0, 0.0]))
        ids = np.array([3 * k + 1, -1, 3 * k + 2, 3 * k + 3])  # one keypoint without a 3D point
        images.append(
            ColmapImage(k + 1, f"frame_{k:05d}.png", k % 3 + 1, c2w, rng.uniform(0, 80, (4, 2)), ids)
        )
        tracks += [np.array([[k + 1, j]]) for j in (0, 2, 3)]
    n = len(tracks)
    rgb = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    return ColmapModel(
        cams, images, rng.normal(size=(n, 3)), rgb, rng.uniform(0, 2, n), np.arange(1, n + 1), tracks
    )


def assert_models_equal(a: ColmapModel, b: ColmapModel, atol: float = 1e-12) -> None:
    assert a.cameras.keys() == b.cameras.keys()
    for cid in a.cameras:
        ca, cb = a.cameras[cid], b.cameras[cid]
        assert (ca.model, ca.width, ca.height) == (cb.model, cb.width, cb.height)
        np.testing.assert_allclose(ca.params, cb.params, atol=atol)
    ia = sorted(a.images, key=lambda im: im.image_id)
    ib = sorted(b.images, key=lambda im: im.image_id)
    assert [(i.image_id, i.name, i.camera_id) for i in ia] == [(i.image_id, i.name, i.camera_id) for i in ib]
    for x, y in zip(ia, ib, strict=True):
        np.testing.assert_allclose(x.c2w, y.c2w, atol=atol)
        np.testing.assert_allclose(x.xys, y.xys, atol=atol)
        np.testing.assert_array_equal(x.point3D_ids, y.point3D_ids)
    oa, ob = np.argsort(a.point3D_ids), np.argsort(b.point3D_ids)
    np.testing.assert_array_equal(a.point3D_ids[oa], b.point3D_ids[ob])
    np.testing.assert_allclose(a.xyz[oa], b.xyz[ob], atol=atol)
    np.testing.assert_array_equal(a.rgb[oa], b.rgb[ob])
    np.testing.assert_allclose(a.error[oa], b.error[ob], atol=atol)
    for i, j in zip(oa, ob, strict=True):
        np.testing.assert_array_equal(a.tracks[i], b.tracks[j])


def test_text_round_trip(tmp_path: Path) -> None:
    model = make_model()
    write_colmap_text(tmp_path / "sparse" / "0", model)
    assert sorted(p.name for p in (tmp_path / "sparse" / "0").iterdir()) == [
        "cameras.txt",
        "images.txt",
        "points3D.txt",
    ]
    assert find_colmap_model(tmp_path) == tmp_path / "sparse" / "0"
    assert_models_equal(model, read_colmap_model(tmp_path / "sparse" / "0"))


def test_binary_round_trip(tmp_path: Path) -> None:
    model = make_model(1)
    write_colmap_binary(tmp_path, model)
    assert_models_equal(model, read_colmap_model(tmp_path))


def test_binary_reader_matches_pycolmap(tmp_path: Path) -> None:
    pycolmap = pytest.importorskip("pycolmap")
    model = make_model(2)
    write_colmap_text(tmp_path / "txt", model)
    rec = pycolmap.Reconstruction(str(tmp_path / "txt"))
    assert rec.num_reg_images() == 5 and rec.num_points3D() == 15
    (tmp_path / "bin").mkdir()
    rec.write_binary(str(tmp_path / "bin"))
    ours = read_colmap_model(tmp_path / "bin")
    assert_models_equal(model, ours, atol=1e-9)
    # and pycolmap reads what our binary writer wrote
    write_colmap_binary(tmp_path / "ours_bin", model)
    rec2 = pycolmap.Reconstruction(str(tmp_path / "ours_bin"))
    for im in ours.images:
        w2c = np.eye(4)
        w2c[:3, :] = rec2.images[im.image_id].cam_from_world().matrix()
        np.testing.assert_allclose(np.linalg.inv(w2c), im.c2w, atol=1e-9)
        np.testing.assert_allclose(
            rec2.cameras[im.camera_id].calibration_matrix(), ours.cameras[im.camera_id].K()
        )


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="holds no COLMAP model"):
        read_colmap_model(tmp_path)
    (tmp_path / "cameras.txt").write_text("1 PINHOLE 640 480 500 500\n")
    (tmp_path / "images.txt").write_text("")
    with pytest.raises(ValueError, match=r"cameras.txt:1"):
        read_colmap_model(tmp_path)
    write_colmap_binary(tmp_path / "b", make_model())
    data = (tmp_path / "b" / "images.bin").read_bytes()
    (tmp_path / "b" / "images.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        read_colmap_model(tmp_path / "b")
