"""Rotation jumps of a model between two neighbouring views, repaired with the two-view rotations.

Where a camera turns fast, a model can bend at one pair of consecutive views: every view after it is
turned by the same 1-3 degrees (larger breaks split the model into pieces, `wpdata.poses.rotations.
registered_groups`). GLOMAP's models of out-and-back walks do it in the turn at the far end (estK seeds
8080 / 31337, `benchmarks/pose_accuracy.py --kinds out_and_back`): one pair of 8080's plaza is 2.15 deg
off while its two-view rotation is 0.02 deg off and its neighbours' model rotations 0.01-0.24 deg; the
walk back is turned with it, so half the track is ~2 deg off (median rotation error 1.1-1.9 deg with
ATE under 1%).

Only pairs where the track stands still are judged (a step under `STILL_SHARE` of its typical step,
`wpdata.poses.pieces.typical_step`): a turn on the spot, where the two-view rotation of a pure turn is
accurate (0.01-0.03 deg there). Where the camera walks, a two-view rotation can be biased by as much as the
threshold: a room's walls fit a homography and the step reads as about 1 deg of turn per pair, and judged
there the repair turned a correct GLOMAP loop in a room the wrong way (held-out seed 60601 loop/room: rotation
error 0.61 -> 1.17 deg, 3 "jumps").

A still pair (k, k+1) of registered views whose model rotation differs from its two-view rotation by more
than `min_deg` is a jump when the other two-view pairs across the cut (offset 2: (k-1, k+1), (k, k+2)) see it
too: turning every view after k (orientations and centres, about the centre of k+1) by the correction
that makes the pair agree must halve the median disagreement of all the pairs across the cut. A lone bad
two-view rotation is outvoted by its neighbours; a cut with no second pair across it is left alone.
Jumps are repaired in order along the clip, each judged on the track the earlier repairs left.
"""

from __future__ import annotations

import numpy as np

from .pieces import typical_step
from .two_view import Motion, Pair, _angle_deg

__all__ = ["repair_jumps"]

MIN_EVIDENCE = 2  # pairs across a cut needed to judge it (the consecutive pair and one more)
STILL_SHARE = 0.1  # a step under this share of the track's typical step: the camera only turned


def _disagreement(R_c2w: np.ndarray, motions: dict[Pair, Motion], i: int, j: int) -> float:
    """Angle (deg) between the model's rotation from view i to j and the pair's two-view rotation."""
    return _angle_deg(motions[(i, j)][0].T @ (R_c2w[i].T @ R_c2w[j]))


def repair_jumps(
    c2w: np.ndarray, registered: np.ndarray, motions: dict[Pair, Motion], min_deg: float
) -> tuple[np.ndarray, list[int]]:
    """(c2w [S, 4, 4] with the jumps after each repaired pair k turned out, [k, ...]); pairs are judged
    where the track stands still (a turn on the spot).

    c2w: sampled frames' poses [S, 4, 4] (OpenCV c2w); registered [S] bool: views the model placed (only
    pairs of registered views are judged, and only they are evidence); motions: two-view motions of
    sampled pairs (`wpdata.poses.two_view.pair_motions`, offsets 1 and 2).
    """
    out = np.asarray(c2w, dtype=np.float64).copy()
    reg = np.asarray(registered, dtype=bool)
    steps = np.linalg.norm(np.diff(out[:, :3, 3], axis=0), axis=1)  # [S-1]
    still = steps <= STILL_SHARE * typical_step(out[:, :3, 3], reg[:-1] & reg[1:])  # [S-1]
    fixed = []
    for k in range(len(out) - 1):
        if not (still[k] and reg[k] and reg[k + 1] and (k, k + 1) in motions):
            continue
        R = out[:, :3, :3]  # [S, 3, 3]
        if not _disagreement(R, motions, k, k + 1) > min_deg:
            continue
        across = [(i, j) for (i, j) in motions if i <= k < j and reg[i] and reg[j]]
        if len(across) < MIN_EVIDENCE:
            continue
        before = np.median([_disagreement(R, motions, i, j) for i, j in across])
        fix = R[k] @ motions[(k, k + 1)][0] @ R[k + 1].T  # [3, 3] world turn that makes R_k^T R_k+1 agree
        cand = out.copy()
        pivot = out[k + 1, :3, 3]  # [3]
        cand[k + 1 :, :3, :3] = fix @ out[k + 1 :, :3, :3]
        cand[k + 1 :, :3, 3] = (out[k + 1 :, :3, 3] - pivot) @ fix.T + pivot
        after = np.median([_disagreement(cand[:, :3, :3], motions, i, j) for i, j in across])
        if after < 0.5 * before:
            out = cand
            fixed.append(k)
    return out, fixed
