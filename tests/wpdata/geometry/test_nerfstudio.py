"""nerfstudio transforms.json reader/writer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wpdata.geometry import look_at, make_K, opencv_to_opengl, read_nerfstudio, write_nerfstudio
from wpdata.geometry.nerfstudio import NerfstudioFrame, NerfstudioScene

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"


def test_instant_ngp_fox_missing_frames_are_reported() -> None:
    root = REALDATA / "instant_ngp_fox"
    if not root.is_dir():
        pytest.skip(f"realdata folder absent: {REALDATA}")
    scene = read_nerfstudio(root / "transforms.json")
    assert len(scene.frames) == 50 and len(scene.missing) == 17
    assert all(f.path.is_file() for f in scene.frames)
    f0 = scene.frames[0]
    assert (f0.width, f0.height) == (1080, 1920)
    np.testing.assert_allclose(f0.K, make_K(1375.52, 1374.49, 554.558, 965.268))
    assert f0.distortion == pytest.approx(
        {"k1": 0.0578421, "k2": -0.0805099, "p1": -0.000980296, "p2": 0.00015575}
    )
    meta = json.loads((root / "transforms.json").read_text())
    raw = next(fr for fr in meta["frames"] if fr["file_path"] == f0.file_path)
    np.testing.assert_allclose(opencv_to_opengl(f0.c2w), raw["transform_matrix"])
    # all cameras look roughly at a common centre (the fox): OpenCV +z points inwards
    centre = scene.c2w[:, :3, 3].mean(axis=0)
    to_centre = centre - scene.c2w[:, :3, 3]
    assert np.all(np.einsum("ni,ni->n", scene.c2w[:, :3, 2], to_centre) > 0)


def _write_images(root: Path, names: list[str]) -> None:
    for n in names:
        (root / n).parent.mkdir(parents=True, exist_ok=True)
        (root / n).write_bytes(b"not really a png")


def test_round_trip_with_per_frame_intrinsics(tmp_path: Path) -> None:
    _write_images(tmp_path, ["images/a.png", "images/b.png"])
    frames = [
        NerfstudioFrame("images/a.png", tmp_path / "images/a.png", look_at([0, 0, -3], [0, 0, 0], [0, -1, 0]),
                        make_K(100, 101, 32, 24), 64, 48, {"k1": 0.1}),
        NerfstudioFrame("images/b.png", tmp_path / "images/b.png", look_at([1, 0, -3], [0, 0, 0], [0, -1, 0]),
                        make_K(200, 201, 64, 48), 128, 96, {"k1": 0.1}),
    ]  # fmt: skip
    out = write_nerfstudio(tmp_path, NerfstudioScene(frames, extra={"aabb_scale": 4}))
    meta = json.loads(out.read_text())
    assert meta["k1"] == 0.1 and "fl_x" not in meta and meta["frames"][1]["fl_x"] == 200
    back = read_nerfstudio(out)
    assert back.missing == [] and back.extra["aabb_scale"] == 4
    for a, b in zip(frames, back.frames, strict=True):
        np.testing.assert_allclose(b.c2w, a.c2w, atol=1e-12)
        np.testing.assert_allclose(b.K, a.K)
        assert (b.width, b.height, b.distortion) == (a.width, a.height, a.distortion)


def test_camera_angle_fallback_and_missing(tmp_path: Path) -> None:
    _write_images(tmp_path, ["r_0.png"])
    meta = {
        "camera_angle_x": 2 * np.arctan(0.5),  # focal = width
        "w": 80,
        "h": 60,
        "frames": [
            {"file_path": "r_0.png", "transform_matrix": np.eye(4).tolist()},
            {"file_path": "r_1.png", "transform_matrix": np.eye(4).tolist()},
        ],
    }
    (tmp_path / "transforms.json").write_text(json.dumps(meta))
    scene = read_nerfstudio(tmp_path)
    assert scene.missing == ["r_1.png"]
    np.testing.assert_allclose(scene.K[0], make_K(80, 80, 40, 30))
    np.testing.assert_allclose(scene.c2w[0], np.diag([1.0, -1.0, -1.0, 1.0]))


def test_bad_json(tmp_path: Path) -> None:
    (tmp_path / "transforms.json").write_text("{not json")
    with pytest.raises(ValueError, match="invalid JSON"):
        read_nerfstudio(tmp_path)
    _write_images(tmp_path, ["x.png"])
    (tmp_path / "transforms.json").write_text(
        json.dumps({"frames": [{"file_path": "x.png", "transform_matrix": np.eye(4).tolist()}]})
    )
    with pytest.raises(ValueError, match="w`/`h` missing"):
        read_nerfstudio(tmp_path)
