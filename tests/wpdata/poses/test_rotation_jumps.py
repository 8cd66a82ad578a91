"""A model bent between two neighbouring views, turned back by the two-view rotations (wpdata.poses.rotation_jumps)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.rotation_jumps import repair_jumps
from wpdata.poses.two_view import pair_motions

from .test_motion_check import K, N, _pairs, _walk_and_turn


def _bent(c2w: np.ndarray, k: int, deg: float) -> np.ndarray:
    """c2w with every view after k turned by `deg` (about a tilted world axis through the centre of k+1)."""
    fix = Rotation.from_rotvec(np.radians(deg) * np.array([0.6, 0.8, 0.0])).as_matrix()
    out = c2w.copy()
    pivot = c2w[k + 1, :3, 3]
    out[k + 1 :, :3, :3] = fix @ c2w[k + 1 :, :3, :3]
    out[k + 1 :, :3, 3] = (c2w[k + 1 :, :3, 3] - pivot) @ fix.T + pivot
    return out


def _relative_errors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (deg) between the relative rotations of consecutive views of two tracks [N - 1]."""
    ra = np.swapaxes(a[:-1, :3, :3], 1, 2) @ a[1:, :3, :3]
    rb = np.swapaxes(b[:-1, :3, :3], 1, 2) @ b[1:, :3, :3]
    return np.degrees(Rotation.from_matrix(np.swapaxes(ra, 1, 2) @ rb).magnitude())


def test_a_jump_in_the_turn_is_turned_back_and_one_in_the_walk_is_not_judged() -> None:
    truth = _walk_and_turn()
    motions = pair_motions(_pairs(truth), K)
    reg = np.ones(N, dtype=bool)
    bent = _bent(truth, 6, 2.0)  # in the turn on the spot (6, 7)
    assert _relative_errors(truth, bent).max() > 1.9
    fixed, jumps = repair_jumps(bent, reg, motions, 1.0)
    assert jumps == [6]
    assert _relative_errors(truth, fixed).max() < 0.1
    np.testing.assert_allclose(fixed[:, :3, 3], truth[:, :3, 3], atol=1e-9)  # turned about the still centre
    walk = _bent(truth, 2, -1.5)  # in the walk (2, 3), where a two-view rotation may be biased: left alone
    assert repair_jumps(walk, reg, motions, 1.0)[1] == []
    same, none = repair_jumps(truth, reg, motions, 1.0)  # an unbent track is left as it is
    assert none == [] and np.array_equal(same, truth)


def test_a_lone_bad_two_view_rotation_or_an_unjudged_cut_changes_nothing() -> None:
    truth = _walk_and_turn()
    motions = pair_motions(_pairs(truth), K)
    reg = np.ones(N, dtype=bool)
    wrong = dict(motions)  # the pair's own rotation 2 deg off; (5, 7) and (6, 8) outvote it
    wrong[(6, 7)] = (Rotation.from_rotvec(np.radians([0.0, 0.0, 2.0])).as_matrix() @ motions[(6, 7)][0], None)
    out, jumps = repair_jumps(truth, reg, wrong, 1.0)
    assert jumps == [] and np.array_equal(out, truth)
    bent = _bent(truth, 6, 2.0)
    alone = {ij: m for ij, m in motions.items() if ij not in ((5, 7), (6, 8))}  # nothing else across the cut
    assert repair_jumps(bent, reg, alone, 1.0)[1] == []
    reg[7] = False  # a view the model did not place is neither judged nor evidence
    assert repair_jumps(bent, reg, motions, 1.0)[1] == []
    assert repair_jumps(bent, np.ones(N, dtype=bool), motions, 3.0)[1] == []  # under the threshold
