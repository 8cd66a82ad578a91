"""Placing a model split off by a turn on the spot next to the main model (scale by depth or by speed)."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.poses.pieces import place_pieces

S = 12


def _case() -> tuple[np.ndarray, list[str], dict[str, np.ndarray], np.ndarray]:
    """Walk 0.1 m per frame along x for 4 frames, stand (turn) for 4, walk back; the piece is 3x too large."""
    x = np.concatenate([0.1 * np.arange(4), np.full(4, 0.3), 0.3 - 0.1 * np.arange(1, 5)])  # [S]
    gt = np.repeat(np.eye(4)[None], S, 0)  # [S, 4, 4]
    gt[:, 0, 3] = x
    names = [f"{i:06d}.png" for i in range(S)]
    piece = {}
    for i in range(6, S):  # the piece holds two turn frames and the walk back, in its own gauge
        p = np.eye(4)
        p[:3, 3] = 3.0 * (gt[i, :3, 3] - gt[6, :3, 3]) + np.array([5.0, -2.0, 1.0])
        piece[names[i]] = p
    return gt, names, piece, x


@pytest.mark.parametrize("rule", ["depth", "speed"])
def test_piece_is_placed_at_the_join_with_its_scale_rule(rule: str) -> None:
    gt, names, piece, x = _case()
    main = np.arange(S) < 6  # [S] positions measured by the main model (walk out and two turn frames)
    est = gt.copy()
    est[~main, :3, 3] = 0.0  # unknown there
    rel = [np.eye(3)] * (S - 1)
    out, placed = place_pieces(est, np.ones(S, bool), main, names, [(piece, 6.0)], 2.0, rel, rule)
    assert placed[6:].all() and not placed[:6].any()
    # equal steps before and after the turn, and median depth 6 vs 2: both say "3x too large" here
    assert np.abs(out[6:, 0, 3] - x[6:]).max() < 1e-9, out[6:, 0, 3]


def test_depth_and_speed_rules_differ_when_depths_do_not_match() -> None:
    gt, names, piece, x = _case()
    main = np.arange(S) < 6
    rel = [np.eye(3)] * (S - 1)
    by_depth, _ = place_pieces(gt.copy(), np.ones(S, bool), main, names, [(piece, 4.0)], 2.0, rel, "depth")
    by_speed, _ = place_pieces(gt.copy(), np.ones(S, bool), main, names, [(piece, 4.0)], 2.0, rel, "speed")
    assert np.abs(by_speed[6:, 0, 3] - x[6:]).max() < 1e-9
    assert np.abs(by_depth[6:, 0, 3] - x[6:]).max() > 0.05  # scale 1/2 instead of 1/3
    with pytest.raises(ValueError, match="piece scale rule"):
        place_pieces(gt.copy(), np.ones(S, bool), main, names, [(piece, 4.0)], 2.0, rel, "bogus")


def test_a_piece_of_known_scale_keeps_it() -> None:
    """A group split off the main model itself (its rotation bent at the join) has the main model's
    scale: (poses, depth, 1.0) is placed at scale 1 whatever the rule and the depths say."""
    gt, names, piece, x = _case()
    same_model = {k: p.copy() for k, p in piece.items()}
    for p in same_model.values():
        p[:3, 3] = (p[:3, 3] - np.array([5.0, -2.0, 1.0])) / 3.0  # the main model's own scale
    main = np.arange(S) < 6
    rel = [np.eye(3)] * (S - 1)
    for rule in ("depth", "speed"):
        out, placed = place_pieces(
            gt.copy(), np.ones(S, bool), main, names, [(same_model, 9.0, 1.0)], 2.0, rel, rule
        )
        assert placed[6:].all()
        assert np.abs(out[6:, 0, 3] - x[6:]).max() < 1e-9, out[6:, 0, 3]
