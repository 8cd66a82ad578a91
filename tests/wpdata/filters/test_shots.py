"""detect_cuts finds the hard cut of a two-shot clip and none in one shot; split_spans honours its limits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import estimate_motion
from wpdata.filters.shots import detect_cuts, short_shots, shot_spans, split_spans
from wpdata.synth import intrinsics, make_world, out_and_back, render_frames, walking
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


def _out_and_back(kind: str, world_seed: int, T: int, seed: int) -> np.ndarray:
    """[T, 180, 320, 3] uint8 of an out-and-back walk (it turns around mid-way) in a new world."""
    world = make_world(world_seed, kind)
    return np.stack(
        list(render_frames(world, out_and_back(world, T, 15.0, seed), intrinsics(320, 180), 320, 180))
    )


def test_cut_right_after_a_turnaround_between_worlds_sharing_textures(tmp_path):
    # The plaza walk turns around just before the cut, so the motion fits fail on both sides of it
    # (a "fit fails amid good fits" rule found no candidate); the street shares the plaza's textures.
    cut = 34
    frames = np.concatenate(
        [_out_and_back("plaza", 41, 60, 8)[:cut], _out_and_back("street", 61, 60 - cut, 10)]
    )
    cuts, step = _cuts(write_mp4(tmp_path / "turn_then_cut.mp4", frames, 15.0))
    assert len(cuts) == 1 and abs(cuts[0] - cut) <= step


def test_one_shot_clips_have_no_cut(tmp_path, walking_frames, shaky_frames, static_frames):
    dark = (walking_frames.astype(np.float32) * 0.06).astype(np.uint8)  # noise-level detail only
    for name, frames in [
        ("walk", walking_frames),
        ("shaky", shaky_frames),
        ("static", static_frames),
        ("dark", dark),
    ]:
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


def test_short_shots_are_the_shots_that_give_no_span():
    # 30 fps, cuts at 2 s and 10 s: [0, 60) trimmed is too short, the others give spans
    spans, short = shot_spans(600, [300, 60], 30.0)
    assert spans == split_spans(600, [300, 60], 30.0) and short == short_shots(600, [300, 60], 30.0)
    assert short == [(0, 60)]
    assert short_shots(600, [60, 300], 30.0, min_s=8.0) == [(0, 60), (60, 300)]
    assert short_shots(50, [], 30.0) == [(0, 50)] and short_shots(1000, [], 30.0) == []


def test_cuts_and_spans_are_deterministic_across_runs_and_threads(tmp_path, walking_frames, second_shot):
    """Same file -> same frames, cuts and spans, run after run, with 1 or automatic decoder / OpenCV threads."""
    frames = np.concatenate([walking_frames[:CUT], second_shot[: 60 - CUT]])
    path = write_mp4(tmp_path / "two_shots.mp4", frames, 15.0)
    saved = cv2.getNumThreads()
    try:
        for skip_nonref in (False, True):
            results = []
            for cv_threads, threads in [(1, 1), (saved, 0), (1, 0), (saved, 1)]:
                cv2.setNumThreads(cv_threads)
                cv2.setRNGSeed(len(results))  # RANSAC must not depend on OpenCV's global RNG state
                a = sample_frames(path, threads=threads, skip_nonref=skip_nonref)
                cuts = detect_cuts(a, estimate_motion(a.gray))
                results.append((a.gray.tobytes(), a.indices.tolist(), cuts, shot_spans(60, cuts, 15.0, 1.0)))
            assert all(r == results[0] for r in results[1:]), skip_nonref
            assert len(results[0][2]) == 1
    finally:
        cv2.setNumThreads(saved)
