"""structured_caption: each sentence from one measured attribute; deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from manifests.actions import keys_to_label
from wpdata.captions.frames import caption_frames
from wpdata.captions.structured import describe_flags, overlay_position, structured_caption
from wpdata.synth import intrinsics, make_world, render, walking

W = keys_to_label(["W"])
WR = keys_to_label(["W", "right"])
LABELS = [0] + [W] * 10 + [WR] * 5 + [W] * 5 + [0] * 5


def _frames(rgb, n=3) -> np.ndarray:
    return np.broadcast_to(np.array(rgb, np.uint8), (n, 40, 64, 3)).copy()


def test_caption_of_known_colours_labels_flags_and_duration():
    frames = _frames((60, 60, 60))  # dim grey
    frames[:, :20] = (20, 90, 30)  # top half dark green
    text = structured_caption(frames, LABELS, ["overlay:watermark:top-right", "shake"], duration_s=6.0)
    assert text == (
        "A dim 6.0-second clip. The camera mostly moves forward, turning right midway, then stops. "
        "The dominant colours are green and grey. "
        "Visible defects: a static watermark in the top-right corner and camera shake."
    )


def test_without_flags_or_duration():
    text = structured_caption(_frames((240, 240, 240)), [0] + [W] * 8)
    assert text == "A bright clip. The camera moves forward. The dominant colour is white."


def test_flags_phrasing():
    assert describe_flags([]) == ""
    assert describe_flags(["overlay:logo"]) == "Visible defects: a static logo."
    assert describe_flags(["overlay:subtitles", "crowd", "crowd"]) == (
        "Visible defects: burned-in subtitles and a dense crowd."
    )
    assert (
        describe_flags(["overlay:banner:bottom"]) == "Visible defects: a static banner overlay at the bottom."
    )
    assert describe_flags(["some_new_flag"]) == "Visible defects: some new flag."
    with pytest.raises(TypeError):
        describe_flags("shake")


def test_overlay_position_from_box():
    assert overlay_position((1100, 20, 1260, 80), 1280, 720) == "top-right"
    assert overlay_position((20, 650, 200, 710), 1280, 720) == "bottom-left"
    assert overlay_position((400, 640, 880, 700), 1280, 720) == "bottom"
    assert overlay_position((600, 330, 680, 390), 1280, 720) == "centre"
    with pytest.raises(ValueError, match="bad box"):
        overlay_position((10, 10, 5, 20), 100, 100)


def test_rendered_clip_caption_is_deterministic():
    world = make_world(3, "street", n_boxes=4)
    K = intrinsics(64, 48)
    frames = np.stack([render(world, c, K, 64, 48)[0] for c in walking(world, 12, 10.0, seed=1)[::4]])
    a = structured_caption(frames, [0, W, W], ["overlay:hud"], duration_s=1.2)
    b = structured_caption(frames.copy(), np.array([0, W, W], np.int16), ("overlay:hud",), duration_s=1.2)
    assert a == b and a.startswith("A ") and "1.2-second" in a and "an on-screen HUD" in a


def test_bad_duration_raises():
    with pytest.raises(ValueError, match="duration_s"):
        structured_caption(_frames((0, 0, 0)), [0, W], duration_s=-1.0)


def test_real_photos_fox_scene_is_warm_coloured():
    folder = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata" / "instant_ngp_fox" / "images"
    if not folder.is_dir():
        pytest.skip(f"real data not present: {folder}")
    frames = caption_frames(folder, num_frames=4, size=448)
    assert frames.shape == (4, 448, 252, 3)  # portrait photos, longest side 448
    text = structured_caption(frames, [0, W, W, W])
    assert text == structured_caption(frames, [0, W, W, W])
    assert "The dominant colours are brown" in text, text  # a wooden table and an orange-brown fox
