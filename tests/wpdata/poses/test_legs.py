"""Walks of one model joined only by a turn on the spot: the later walk's scale set by the pace before."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.poses.legs import rescale_legs, still_runs

S = 14  # walk out 5 frames (4 steps), turn on the spot for 4 pairs, walk back 5 frames


def _walk(back_scale: float) -> tuple[dict[str, np.ndarray], list[str], list[bool], np.ndarray]:
    """(model c2w by name, names, pure pairs, GT x [S]); the walk back is `back_scale`x too long."""
    x = np.concatenate([0.1 * np.arange(5), np.full(4, 0.4), 0.4 - 0.1 * np.arange(1, 6)])  # [S]
    names = [f"{i:06d}.png" for i in range(S)]
    c2w = {}
    for i, n in enumerate(names):
        m = np.eye(4)
        m[0, 3] = x[i] if i <= 8 else 0.4 + back_scale * (x[i] - 0.4)
        c2w[n] = m
    pure = [4 <= i < 8 for i in range(S - 1)]  # pairs (4, 5) .. (7, 8) only turn
    return c2w, names, pure, x


def test_still_runs_need_min_len_pure_pairs() -> None:
    assert still_runs([False, True, True, True, False, False, True, True]) == [(1, 3)]
    assert still_runs([True] * 3) == [(0, 2)]
    assert still_runs([True, True, False]) == []
    assert still_runs([True, True, False, True, True, False, False, True]) == [(0, 4)]  # one noisy pair
    assert still_runs([True, False, True]) == [(0, 2)] and still_runs([False, True, False]) == []


@pytest.mark.parametrize("back_scale", [0.17, 1.0, 4.0])
def test_untied_walk_after_a_turn_gets_the_pace_before(back_scale: float) -> None:
    c2w, names, pure, x = _walk(back_scale)
    tracks = [[0, 1, 2], [5, 6, 7], [9, 10, 12]]  # no point seen both before and after the turn
    out, n = rescale_legs(c2w, names, pure, tracks)
    assert n == 1
    got = np.array([out[k][0, 3] for k in names])
    assert np.abs(got - x).max() < 1e-12, got
    assert all(np.array_equal(out[k][:3, :3], c2w[k][:3, :3]) for k in names)  # rotations untouched


def test_walk_tied_by_shared_points_keeps_the_model_scale() -> None:
    c2w, names, pure, _ = _walk(0.5)  # the model says the walk back is shorter; its points say so too
    tracks = [[2, 3, 10, 11]] * 20  # 20 points seen from both walks
    out, n = rescale_legs(c2w, names, pure, tracks, min_shared=20)
    assert n == 0 and out is c2w
    # points seen only from the turn's centre and one walk do not tie the walks
    out, n = rescale_legs(c2w, names, pure, [[4, 5, 6, 10]] * 50 + [[2, 3, 4, 8]] * 50, min_shared=20)
    assert n == 1


def test_rule_model_keeps_the_mapper_scale_and_unknown_rules_are_refused() -> None:
    c2w, names, pure, _ = _walk(0.2)
    assert rescale_legs(c2w, names, pure, [], rule="model") == (c2w, 0)
    with pytest.raises(ValueError, match="unknown leg scale rule"):
        rescale_legs(c2w, names, pure, [], rule="depth")


def test_no_turn_or_too_few_steps_leave_the_model_alone() -> None:
    c2w, names, _, _ = _walk(0.2)
    assert rescale_legs(c2w, names, [False] * (S - 1), [])[1] == 0  # no turn on the spot
    short = names[:6] + names[8:10]  # the clip ends with the turn: no step after it
    sub = {k: c2w[k] for k in short}
    pure = [False, False, False, False, True, True, True]
    assert rescale_legs(sub, short, pure, [])[1] == 0


def _line(steps: list[float]) -> np.ndarray:
    """Camera centres [len(steps) + 1, 3] along x with the given steps."""
    pos = np.zeros((len(steps) + 1, 3))
    pos[1:, 0] = np.cumsum(steps)
    return pos


@pytest.mark.parametrize(
    "steps, moved_frames",
    [
        ([0.1, 0.1, 0.0, 0.0, 0.0, 0.4, 0.1, 0.1], 3),  # a stall, then the jump that skips its distance
        ([0.1, 0.4, 0.0, 0.0, 0.0, 0.1, 0.1, 0.1], 3),  # the jump first
        ([0.0, 0.2, 0.1, 0.1, 0.1], 1),  # a stall of one pair at the walk's start
    ],
)
def test_stalled_moving_frames_next_to_a_jump_are_spread_evenly(
    steps: list[float], moved_frames: int
) -> None:
    from wpdata.poses.legs import spread_collapsed

    pos = _line(steps)
    moved = np.ones(len(steps), dtype=bool)
    assert spread_collapsed(pos, moved, 0.1, 0, len(steps)) == moved_frames
    assert np.allclose(pos[:, 0], 0.1 * np.arange(len(steps) + 1)) and not pos[:, 1:].any()


def test_a_stall_without_a_jump_or_of_pairs_that_only_turned_is_kept() -> None:
    from wpdata.poses.legs import spread_collapsed

    for steps, moved in [
        ([0.1, 0.0, 0.0, 0.1, 0.1], [True] * 5),  # the camera stopped: no distance to share out
        ([0.1, 0.0, 0.0, 0.4, 0.1], [True, False, False, True, True]),  # those pairs only turned
        ([0.1, 0.0, 0.0, 0.14, 0.1], [True] * 5),  # 1.4 steps is no jump
    ]:
        pos = _line(steps)
        before = pos.copy()
        assert spread_collapsed(pos, np.array(moved), 0.1, 0, len(steps)) == 0
        assert np.array_equal(pos, before)
    pos = _line([0.1, 0.0, 0.0, 0.4, 0.1])
    assert spread_collapsed(pos, np.ones(5, dtype=bool), 0.1, 3, 5) == 0  # outside [lo, hi): not touched


def test_walk_back_stalled_at_the_turn_centre_is_rescaled_and_spread() -> None:
    """As estK seed 555's out-and-back room clip: after the turn the model leaves the first frames of
    the walk back on the turn's centre, then jumps, and its walk back is 3x too long."""
    n_out, n_turn, n_back = 6, 4, 8
    x = np.concatenate([0.1 * np.arange(n_out), np.full(n_turn, 0.5), 0.5 - 0.1 * np.arange(1, n_back + 1)])
    names = [f"{i:06d}.png" for i in range(len(x))]
    model = x.copy()
    after0 = n_out + n_turn - 1  # the turn's last frame: the walk back starts there
    model[after0 + 1 : after0 + 3] = 0.5  # two frames stalled on the centre, then the jump
    model[after0 + 1 :] = 0.5 + 3.0 * (model[after0 + 1 :] - 0.5)
    c2w = {}
    for i, name in enumerate(names):
        c2w[name] = np.eye(4)
        c2w[name][0, 3] = model[i]
    pure = [n_out - 1 <= i < after0 for i in range(len(x) - 1)]
    out, n = rescale_legs(c2w, names, pure, [[0, 1, 2], [11, 12, 13]])
    got = np.array([out[k][0, 3] for k in names])
    assert n == 1 and np.abs(got - x).max() < 1e-12, got
