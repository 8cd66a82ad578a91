"""detect_cuts finds the hard cut of a two-shot clip and none in one shot; split_spans honours its limits."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import estimate_motion
from wpdata.filters.shots import detect_cuts, split_spans
from wpdata.synth import intrinsics, make_world, render_frames, walking
from wpdata.video import write_mp4

CUT = 33  # first source frame of the second shot


@pytest.fixture(scope="module")
def second_shot() -> np.ndarray:
    """Another walk in another street: [30, 180, 320, 3] uint8."""
    world = make_world(11, "street")
    return np.stack(
        list(render_frames(world, walking(world, 30, 15.0, seed=8), intrinsics(320, 180), 320, 180))
    )


def _cuts(path) -> tuple[list[int], float]:
    a = sample_frames(path)
    return detect_cuts(a, estimate_motion(a.gray)), float(np.median(np.diff(a.indices)))


def test_two_shot_clip_has_one_cut_at_the_cut_frame(tmp_path, walking_frames, second_shot):
    frames = np.concatenate([walking_frames[:CUT], second_shot[: 60 - CUT]])
    cuts, step = _cuts(write_mp4(tmp_path / "two_shots.mp4", frames, 15.0))
    assert len(cuts) == 1 and abs(cuts[0] - CUT) <= step


def test_one_shot_clips_have_no_cut(tmp_path, walking_frames, shaky_frames, static_frames):
    for name, frames in [("walk", walking_frames), ("shaky", shaky_frames), ("static", static_frames)]:
        cuts, _ = _cuts(write_mp4(tmp_path / f"{name}.mp4", frames, 15.0))
        assert cuts == [], name


def test_split_spans_trims_each_shot_and_drops_short_ones():
    # 30 fps; cuts at 2 s and 10 s; trim 0.3 s = 9 frames per end; min 3 s = 90 frames
    spans = split_spans(600, [300, 60], 30.0)
    assert spans == [(69, 291), (309, 591)]  # [0, 60) trimmed to 42 frames is too short
    assert split_spans(600, [60, 300], 30.0, min_s=8.0) == [(309, 591)]


def test_split_spans_splits_long_shots_evenly():
    spans = split_spans(1000, [], 30.0, min_s=3.0, max_s=15.0, trim_s=0.3)
    assert spans[0][0] == 9 and spans[-1][1] == 991
    assert len(spans) == 3 and all(e - s <= 450 for s, e in spans)
    assert all(a[1] == b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))


def test_split_spans_ignores_cuts_outside_the_video():
    assert split_spans(300, [-5, 0, 300, 999], 30.0) == [(9, 291)]
    assert split_spans(50, [], 30.0) == []
