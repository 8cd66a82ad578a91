"""Orientations for sampled frames that SfM left unregistered, chained from two-view rotations.

While a camera only turns (a turn on the spot, a look around) nothing new can be triangulated, so
incremental SfM cannot register those views, although their orientation is well determined by the
two-view rotations of neighbouring frames (`wpdata.poses.two_view`).

A run of unregistered frames between two registered ones is chained from both ends and the two
chains are blended by slerp with weights growing towards the far end, which spreads the closing error
along the run; a run at the start or end of the clip is chained from its one registered neighbour.
Positions are not estimated here (the caller interpolates them).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from .two_view import _angle_deg

__all__ = ["chain_rotations", "consistent_registered", "registered_groups"]

MAX_DISAGREE_DEG = 3.0  # SfM vs two-view relative rotation of neighbours beyond this: a break


def chain_rotations(
    known: np.ndarray, R_c2w: np.ndarray, rel: list[np.ndarray | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Fill orientations of unknown sampled frames by chaining pair rotations from known neighbours.

    known: [S] bool; R_c2w: [S, 3, 3] c2w rotations (used where known); rel: S-1 entries, rel[i] maps
    rays of frame i+1 to frame i (or None). Returns (R [S, 3, 3], chained [S] bool): frames reached by
    an unbroken chain from a known frame (from both sides when both exist) get a rotation.
    """
    known = np.asarray(known, dtype=bool)
    S = len(known)
    R = np.asarray(R_c2w, dtype=np.float64).copy()  # [S, 3, 3]
    chained = np.zeros(S, dtype=bool)
    i = 0
    while i < S:
        if known[i]:
            i += 1
            continue
        j = i
        while j < S and not known[j]:
            j += 1
        a, b = i - 1, j  # known neighbours (a < 0 or b == S: none on that side)
        fwd, bwd = {}, {}
        if a >= 0:
            cur = R[a]
            for k in range(i, j):
                if rel[k - 1] is None:
                    break
                cur = cur @ rel[k - 1]
                fwd[k] = cur
        if b < S:
            cur = R[b]
            for k in range(j - 1, i - 1, -1):
                if rel[k] is None:
                    break
                cur = cur @ rel[k].T
                bwd[k] = cur
        for k in range(i, j):
            if k in fwd and k in bwd:
                w = (k - a) / (b - a)  # weight of the chain from the right
                R[k] = Slerp([0.0, 1.0], Rotation.from_matrix(np.stack([fwd[k], bwd[k]])))(w).as_matrix()
                chained[k] = True
            elif k in fwd or k in bwd:  # one side only (clip end, or a broken chain)
                R[k] = fwd[k] if k in fwd else bwd[k]
                chained[k] = True
        i = j
    return R, chained


def registered_groups(
    registered: np.ndarray, R_c2w: np.ndarray, rel: list[np.ndarray | None], max_deg: float = MAX_DISAGREE_DEG
) -> np.ndarray:
    """Group label [S] of each registered frame (-1 elsewhere): neighbouring registered frames whose
    relative model rotation differs from the chained pair rotations by more than `max_deg` start a new
    group, so each group agrees with the pair rotations inside itself."""
    labels = np.full(len(registered), -1, dtype=np.int64)
    idx = np.flatnonzero(np.asarray(registered, dtype=bool))
    if len(idx) == 0:
        return labels
    group = np.zeros(len(idx), dtype=np.int64)
    for n, (a, b) in enumerate(zip(idx[:-1], idx[1:], strict=True)):
        chain = np.eye(3)
        for k in range(a, b):
            if rel[k] is None:
                chain = None
                break
            chain = chain @ rel[k]
        model = R_c2w[a].T @ R_c2w[b]  # [3, 3] rays of b in a, by the model
        broken = chain is not None and _angle_deg(chain.T @ model) > max_deg
        group[n + 1] = group[n] + int(broken)
    labels[idx] = group
    return labels


def consistent_registered(
    registered: np.ndarray, R_c2w: np.ndarray, rel: list[np.ndarray | None], max_deg: float = MAX_DISAGREE_DEG
) -> np.ndarray:
    """Registered mask [S] keeping only the largest run of SfM poses that agree with the pair rotations.

    A view that only turns can be registered wrongly (few, badly conditioned 3D points): its model
    rotation then jumps against the two-view rotation of its neighbours. Such jumps split the registered
    frames into groups (`registered_groups`); all but the largest group are unregistered.
    """
    reg = np.asarray(registered, dtype=bool).copy()
    if reg.sum() < 2:
        return reg
    labels = registered_groups(reg, R_c2w, rel, max_deg)
    keep = np.bincount(labels[reg]).argmax()
    reg[labels != keep] = False
    return reg
