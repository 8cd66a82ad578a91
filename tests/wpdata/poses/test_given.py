"""Given poses of every supported format read into a PoseTrack; interpolation, K rescaling, errors."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from wpdata.clips import SourcePoses, write_clip_poses
from wpdata.geometry import NerfstudioFrame, NerfstudioScene, write_nerfstudio, write_sekai_npz, write_vipe
from wpdata.poses import load_given_poses
from wpdata.synth import intrinsics, pose_from_yaw_pitch

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"
T = 12


def _path(T: int = T) -> np.ndarray:
    eye = np.column_stack([np.linspace(0, 1.1, T), np.linspace(0, 0.3, T), np.full(T, 1.6)])
    return pose_from_yaw_pitch(eye, np.linspace(0.1, 0.5, T), np.linspace(0, 0.05, T))  # [T, 4, 4]


def test_clip_npz_subset_is_interpolated(tmp_path: Path) -> None:
    gt, K = _path(), intrinsics(320, 180)
    keep = np.arange(0, T, 2)  # every other frame
    poses = SourcePoses("vipe", keep, gt[keep], np.broadcast_to(K, (len(keep), 3, 3)))
    p = write_clip_poses(tmp_path / "c.poses.npz", poses, start=100)
    tr = load_given_poses(p, T, 320, 180)
    assert tr.source == "clip_npz" and tr.registered.tolist() == [i % 2 == 0 for i in range(T)]
    assert tr.registered_fraction == pytest.approx(0.5)
    np.testing.assert_allclose(tr.c2w[keep], gt[keep], atol=1e-6)  # float32 on disk
    np.testing.assert_allclose(tr.c2w[1::2][:-1, :3, 3], gt[1::2][:-1, :3, 3], atol=1e-5)  # linear path
    np.testing.assert_allclose(tr.K, np.broadcast_to(K, (T, 3, 3)), rtol=1e-6)


def test_sekai_npz_is_flipped_to_opencv_and_K_rescaled(tmp_path: Path) -> None:
    gt = _path()
    p = write_sekai_npz(tmp_path / "vid_0_12.npz", gt, intrinsics(1280, 720))
    tr = load_given_poses(p, T, 640, 360)
    assert tr.source == "sekai" and tr.registered.all()
    np.testing.assert_allclose(tr.c2w, gt, atol=1e-6)
    np.testing.assert_allclose(tr.K[0], intrinsics(640, 360), rtol=1e-6)
    # explicit source size wins over the principal-point guess
    tr2 = load_given_poses(p, T, 640, 360, source_size=(2560, 1440))
    np.testing.assert_allclose(tr2.K[0, 0, 0], intrinsics(1280, 720)[0, 0] / 4, rtol=1e-6)


@pytest.mark.parametrize("as_file", [False, True])
def test_vipe_folder_or_pose_file(tmp_path: Path, as_file: bool) -> None:
    gt, K = _path(), intrinsics(320, 180)
    root = write_vipe(tmp_path / "vipe", "clip", gt[2:], K, inds=np.arange(2, T))
    tr = load_given_poses(root / "pose" / "clip.npz" if as_file else root, T, 320, 180)
    assert tr.source == "vipe" and tr.registered.tolist() == [False, False] + [True] * (T - 2)
    np.testing.assert_allclose(tr.c2w[2:], gt[2:], atol=1e-6)
    np.testing.assert_allclose(tr.c2w[0], tr.c2w[2], atol=1e-6)  # held before the first pose


def test_nerfstudio_frames_in_file_name_order(tmp_path: Path) -> None:
    gt, K = _path(6), intrinsics(96, 64)
    names = [f"images/frame_{i:05d}.png" for i in range(1, 7)]
    (tmp_path / "images").mkdir()
    for n in names:
        cv2.imwrite(str(tmp_path / n), np.zeros((64, 96, 3), np.uint8))
    frames = [NerfstudioFrame(n, tmp_path / n, c, K, 96, 64) for n, c in zip(names, gt, strict=True)]
    write_nerfstudio(tmp_path / "transforms.json", NerfstudioScene(frames[::-1], root=tmp_path))
    tr = load_given_poses(tmp_path / "transforms.json", 6, 48, 32)
    assert tr.source == "nerfstudio"
    np.testing.assert_allclose(tr.c2w, gt, atol=1e-9)
    np.testing.assert_allclose(tr.K[0], intrinsics(48, 32))


def test_realdata_instant_ngp_fox() -> None:
    root = REALDATA / "instant_ngp_fox"
    if not root.is_dir():
        pytest.skip(f"realdata folder absent: {root}")
    tr = load_given_poses(root / "transforms.json", 50, 540, 960)
    assert tr.num_frames == 50 and tr.registered.all() and tr.source == "nerfstudio"
    np.testing.assert_allclose(tr.K[0, 0, 0], 1375.52 / 2)
    np.testing.assert_allclose(tr.K[0, 1, 2], 965.268 / 2)
    R = tr.c2w[:, :3, :3]
    np.testing.assert_allclose(R @ np.swapaxes(R, 1, 2), np.broadcast_to(np.eye(3), R.shape), atol=1e-5)
    with pytest.raises(ValueError, match=r"transforms\.json.*49 frames"):
        load_given_poses(root / "transforms.json", 49, 540, 960)


def test_too_little_coverage_is_refused(tmp_path: Path) -> None:
    gt = _path()
    root = write_vipe(tmp_path / "v", "clip", gt[:3], intrinsics(320, 180), inds=np.arange(3))
    with pytest.raises(ValueError, match=r"v.*cover 3 of 12 frames"):
        load_given_poses(root, T, 320, 180)
    assert load_given_poses(root, T, 320, 180, min_coverage=0.2).registered.sum() == 3


@pytest.mark.parametrize(
    "write, match",
    [
        (lambda p: np.savez(p / "x.npz", foo=np.zeros(3)), r"x\.npz.*match no known pose format"),
        (lambda p: (p / "x.npz").write_bytes(b"PK\x03\x04garbage"), r"x\.npz.*unreadable"),
        (lambda p: np.savez(p / "x.npz", extrinsic=np.zeros((4, 3, 3)), intrinsic=np.eye(3)), r"x\.npz"),
        (lambda p: (p / "x.json").write_text("{not json"), r"x\.json.*invalid JSON"),
        (lambda p: (p / "x.json").write_text(json.dumps({"frames": 3})), r"x\.json.*frames"),
        (lambda p: (p / "x.txt").write_text("1 2 3"), r"x\.txt.*unknown pose file type"),
    ],
)
def test_malformed_files_raise_value_error_naming_the_file(tmp_path: Path, write, match: str) -> None:
    write(tmp_path)
    path = next(tmp_path.iterdir())
    with pytest.raises(ValueError, match=match):
        load_given_poses(path, T, 320, 180)


def test_poses_beyond_the_clip_or_odd_aspect_are_refused(tmp_path: Path) -> None:
    p = write_sekai_npz(tmp_path / "s.npz", _path(), intrinsics(1280, 720))
    with pytest.raises(ValueError, match=r"s\.npz.*clip has 10 frames"):
        load_given_poses(p, 10, 640, 360)
    with pytest.raises(ValueError, match=r"s\.npz.*aspect"):
        load_given_poses(p, T, 480, 480)
