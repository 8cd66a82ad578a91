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
