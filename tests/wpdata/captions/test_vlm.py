"""VLMCaptioner with the tiny LLaVA built by the test: real frames of rendered clips, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpdata.captions.frames import caption_frames
from wpdata.captions.tiny_vlm import build_tiny_vlm
from wpdata.captions.vlm import VLMCaptioner, VLMConfig, VLMError, frame_grid
from wpdata.synth import intrinsics, make_world, walking, write_sekai_clip

W, H, T, FPS = 64, 48, 12, 10.0
BOILERPLATE = ("the video shows", "this video", "in this video", "the image shows", "these frames show")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine more threads make the tiny model 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny_vlm"), seed=0)


@pytest.fixture(scope="module")
def clip_frames(tmp_path_factory):
    """Frames of two rendered clips (different worlds), decoded from their mp4s."""
    out = tmp_path_factory.mktemp("clips")
    frames = []
    for seed, kind in ((1, "street"), (2, "room")):
        world = make_world(seed, kind, n_boxes=4)
        mp4 = write_sekai_clip(
            out, world, walking(world, T, FPS, seed=seed), intrinsics(W, H), W, H, FPS, f"v{seed}"
        )
        frames.append(caption_frames(mp4, num_frames=3, size=64))
    return frames


@pytest.fixture(scope="module")
def captioner(tiny_path):
    return VLMCaptioner(
        VLMConfig(str(tiny_path), num_frames=3, max_new_tokens=12, batch_size=2, torch_threads=1)
    )


def test_caption_is_clean_nonempty_text(captioner, clip_frames, tiny_path):
    text = captioner.caption(clip_frames[0])
    assert isinstance(text, str) and text.strip()
    assert not text.lower().startswith(BOILERPLATE)
    assert captioner.name == f"vlm:{tiny_path.name}"


def test_batch_equals_one_by_one_and_is_repeatable(captioner, clip_frames):
    single = [captioner.caption(f) for f in clip_frames]
    assert captioner.caption_batch(clip_frames) == single
    assert captioner.caption_batch(clip_frames) == single


def test_frames_reach_the_model(captioner):
    # random weights: similar natural frames may give the same gibberish, black and white frames do not
    black, white = np.zeros((3, 48, 64, 3), np.uint8), np.full((3, 48, 64, 3), 255, np.uint8)
    assert captioner.caption(black) != captioner.caption(white)


def test_batch_mixes_frame_counts(captioner, clip_frames):
    items = [clip_frames[0][:1], clip_frames[1]]
    assert captioner.caption_batch(items) == [captioner.caption(f) for f in items]


def test_grid_mode_puts_one_image_per_clip(tiny_path, clip_frames):
    grid = frame_grid(clip_frames[0])
    assert grid.shape == (2 * 48, 2 * 64, 3)
    np.testing.assert_array_equal(grid[48:, :64], clip_frames[0][2])
    assert not grid[48:, 64:].any()
    cap = VLMCaptioner(VLMConfig(str(tiny_path), max_new_tokens=8, frame_mode="grid"))
    assert cap.caption_batch(clip_frames) == [cap.caption(f) for f in clip_frames]


def test_bad_item_fails_alone(captioner, clip_frames):
    bad = np.zeros((2, 8, 8), np.uint8)
    results = captioner.caption_batch([clip_frames[0], bad, clip_frames[1]])
    assert isinstance(results[1], ValueError) and "[N, H, W, 3]" in str(results[1])
    assert results[0] == captioner.caption(clip_frames[0]) and isinstance(results[2], str)
    with pytest.raises(ValueError, match="uint8"):
        captioner.caption_batch([bad], return_exceptions=False)
    with pytest.raises(ValueError, match="uint8"):
        captioner.caption(clip_frames[0].astype(np.float32))


def test_broken_model_path_raises_clear_error(tmp_path):
    with pytest.raises(VLMError, match="does not exist"):
        VLMCaptioner(VLMConfig(str(tmp_path / "no_such_model")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(VLMError, match="cannot load VLM from .*empty"):
        VLMCaptioner(VLMConfig(str(tmp_path / "empty")))


def test_config_validation():
    with pytest.raises(ValueError, match="dtype"):
        VLMConfig("x", dtype="int8")
    with pytest.raises(ValueError, match="frame_mode"):
        VLMConfig("x", frame_mode="video")
    with pytest.raises(ValueError, match="batch_size"):
        VLMConfig("x", batch_size=0)
