"""Kind guesses for overlay regions and letterbox bars found on frame arrays."""

from __future__ import annotations

import numpy as np

from wpdata.filters.overlay_kinds import Region, classify_region, classify_regions, detect_letterbox


def test_dark_still_bars_are_found_and_too_dark_pictures_are_not_bars() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(60, 200, (8, 90, 160)).astype(np.uint8)  # [N, h, w] a changing picture
    frames[:, :10] = 5
    frames[:, -10:] = 5
    assert detect_letterbox(frames) == (10, 10, 0, 0)
    dark = (frames // 20).astype(np.uint8)  # the whole picture nearly black: no contrast to a bar
    assert detect_letterbox(dark) == (0, 0, 0, 0)


def test_kinds_follow_position_shape_and_opacity() -> None:
    subs = Region(box=(0.3, 0.85, 0.7, 0.96), n_hot=500, t_strength=10.0, std_ratio=1.5)
    corner = Region(box=(0.8, 0.05, 0.95, 0.15), n_hot=100, t_strength=10.0, std_ratio=0.8)
    bar = Region(box=(0.0, 0.88, 1.0, 1.0), n_hot=900, t_strength=10.0, std_ratio=0.9)
    panel = Region(box=(0.8, 0.05, 0.95, 0.3), n_hot=400, t_strength=10.0, std_ratio=0.2, box_local_ratio=0.3)
    assert classify_region(subs) == "subtitles"
    assert classify_region(corner) == "watermark"
    assert classify_region(bar) == "hud"
    assert classify_region(panel) == "hud"
    assert classify_regions([panel, corner, subs]) == ["hud", "hud", "subtitles"]  # UI comes in sets
    small_opaque = Region(
        box=(0.85, 0.05, 0.95, 0.15), n_hot=100, t_strength=10.0, std_ratio=0.2, box_local_ratio=0.3
    )
    assert classify_regions([small_opaque]) == ["logo"]


def test_bottom_centre_text_is_subtitles_only_when_its_content_changes() -> None:
    box = (0.3, 0.86, 0.7, 1.0)  # may touch the bottom edge
    cues = Region(box=box, n_hot=500, t_strength=10.0, std_ratio=1.0, spike=6.0)
    fixed = Region(box=box, n_hot=500, t_strength=10.0, std_ratio=1.0, spike=1.5)
    panel = Region(box=box, n_hot=500, t_strength=10.0, std_ratio=0.3, spike=6.0, box_local_ratio=0.3)
    over_calm = Region(box=box, n_hot=500, t_strength=10.0, std_ratio=0.9, spike=1.5, local_ratio=1.5)
    assert classify_region(cues) == "subtitles"
    assert classify_region(over_calm) == "subtitles"  # varies more than the scene around it
    assert classify_region(fixed) == "watermark"
    assert classify_region(panel) == "hud"


def test_opacity_is_judged_against_the_scene_around_the_region() -> None:
    # a faint mark over a calm spot (sky): far below the frame's typical variation, like its ring
    faint_on_sky = Region(
        box=(0.05, 0.05, 0.4, 0.18), n_hot=800, t_strength=10.0, std_ratio=0.3, box_local_ratio=0.85
    )
    # a translucent panel over busy texture: as variable as the frame, well below its ring
    panel_on_texture = Region(
        box=(0.6, 0.35, 0.8, 0.6), n_hot=400, t_strength=10.0, std_ratio=1.0, box_local_ratio=0.4
    )
    assert classify_region(faint_on_sky) == "watermark"
    assert classify_region(panel_on_texture) == "hud"


def test_subtitles_are_centred_and_a_region_far_busier_than_its_ring_is_scene() -> None:
    # a wide faint mark anchored at the bottom-left margin, its hot pixels busier than the frame's median
    left_mark = Region(
        box=(0.04, 0.77, 0.7, 0.95), n_hot=2000, t_strength=6.0, std_ratio=1.34, local_ratio=0.92
    )
    cues = Region(box=(0.3, 0.86, 0.72, 0.97), n_hot=900, t_strength=8.0, std_ratio=1.5, spike=5.0)
    assert classify_region(left_mark) == "watermark"
    assert classify_region(cues) == "subtitles"
    # mid-frame, varying far more than the scene around it: no static overlay (a translucent mark keeps
    # 1 - opacity of the variation beneath it)
    busy = Region(box=(0.37, 0.61, 0.64, 0.69), n_hot=136, t_strength=6.0, std_ratio=1.8, local_ratio=1.8)
    assert classify_region(busy) == "scene"
    small_opaque = Region(
        box=(0.85, 0.05, 0.95, 0.15), n_hot=100, t_strength=10.0, std_ratio=0.2, box_local_ratio=0.3
    )
    assert classify_regions([small_opaque, busy]) == ["logo", "scene"]


def test_a_cue_line_as_wide_as_the_frame_is_subtitles_and_soft_edges_are_scene() -> None:
    # a long cue line spans the frame and touches the bottom edge; it changes, a HUD bar does not
    wide_cues = Region(box=(0.03, 0.84, 0.96, 0.99), n_hot=1500, t_strength=8.0, std_ratio=1.3, spike=5.0)
    bar = Region(box=(0.0, 0.88, 1.0, 1.0), n_hot=900, t_strength=10.0, std_ratio=0.9)
    assert classify_region(wide_cues) == "subtitles"
    assert classify_region(bar) == "hud"
    # edges as soft as a defocused picture's: a scene edge that stays put, whatever its place
    soft = Region(box=(0.14, 0.39, 0.32, 0.48), n_hot=300, t_strength=6.0, std_ratio=0.8, softness=0.89)
    sharp = Region(box=(0.14, 0.39, 0.32, 0.48), n_hot=300, t_strength=6.0, std_ratio=0.8, softness=0.45)
    assert classify_region(soft) == "scene"
    assert classify_region(sharp) == "watermark"
