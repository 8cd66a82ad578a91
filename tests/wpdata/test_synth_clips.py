"""Sekai-style clips: decodable H.264 with the right frame count, pose npz in OpenGL, exact gt."""

from __future__ import annotations

import av
import numpy as np
import pytest

from wpdata.synth import clip_stem, intrinsics, make_world, render_frames, walking, write_sekai_clip

W, H, FPS, T = 160, 96, 15.0, 20


@pytest.fixture(scope="module")
def world():
    return make_world(9, "street", n_boxes=8)


def test_clip_decodes_with_pyav_and_npz_flips_back_to_ground_truth(tmp_path, world):
    c2w = walking(world, T, FPS, seed=2)
    K = intrinsics(W, H)
    mp4 = write_sekai_clip(tmp_path, world, c2w, K, W, H, FPS, "vidA", start_frame=30)
    assert mp4.name == "vidA_30_50.mp4"
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == T and frames[0].shape == (H, W, 3)
    sekai = np.load(tmp_path / "vidA_30_50.npz")
    assert sekai["extrinsic"].shape == (T, 4, 4) and sekai["intrinsic"].shape == (3, 3)
    back = sekai["extrinsic"].astype(np.float64) @ np.diag([1.0, -1.0, -1.0, 1.0])
    gt = np.load(tmp_path / "vidA_30_50.gt.npz")
    np.testing.assert_allclose(back, gt["c2w"], atol=1e-5)
    np.testing.assert_array_equal(gt["c2w"], c2w)
    np.testing.assert_allclose(sekai["intrinsic"], K, rtol=1e-6)
    assert float(gt["fps"]) == FPS
    rendered = np.stack(list(render_frames(world, c2w[:1], K, W, H)))[0].astype(float)
    assert np.abs(frames[0].astype(float) - rendered).mean() < 8.0, "decoded frame should match the render"


def test_same_seed_same_frame_bytes(tmp_path):
    K = intrinsics(W, H)
    a = make_world(1, "room")
    c2w = walking(a, 6, FPS, seed=4)
    f1 = np.stack(list(render_frames(a, c2w, K, W, H)))
    f2 = np.stack(
        list(render_frames(make_world(1, "room"), walking(make_world(1, "room"), 6, FPS, seed=4), K, W, H))
    )
    assert f1.tobytes() == f2.tobytes()
    p1 = write_sekai_clip(tmp_path / "a", a, c2w, K, W, H, FPS, "v", frames=f1)
    p2 = write_sekai_clip(tmp_path / "b", a, c2w, K, W, H, FPS, "v", frames=f2)
    assert p1.read_bytes() == p2.read_bytes()


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match="video_id"):
        clip_stem("a/b", 0, 3)
    assert clip_stem("abc", 10, 5) == "abc_10_15"
