"""Walks of one model joined only by a turn on the spot, put at one scale.

A turn on the spot (consecutive sampled views whose matches fit a pure rotation) has one camera centre,
so nothing seen only from it is triangulated: the walk after the turn is tied to the walk before it by
the 3D points that frames of both walks observe, and by nothing else. When a mapper keeps both walks in
one model with few such points (GLOMAP's global positioning places every view it can), the scale of the
later walk is a gauge freedom that the mapper fills in arbitrarily: on the synthetic out-and-back room
clip of estK seed 99 (GLOMAP, 0 shared points) the walk back came out 5.7x too short, ATE 10.5% of the
path. Incremental COLMAP usually splits such a clip into separate models instead, placed by
`wpdata.poses.pieces`; this module applies that module's prior inside one model. Rule "speed": the
later walk is scaled so that its typical step between consecutive sampled frames (75th percentile over
the pairs that moved) equals the typical step before the turn (a person walks on at the pace they came),
and moved to start where the walk before it ended: the turn's frames, whose pairs only turned, are put at
one centre (in estK seed 555's out-and-back room clip GLOMAP had put the second half of the turn 47 cm
from the first). A walk tied by at least `min_shared` points keeps the model's positions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .pieces import typical_step

__all__ = ["rescale_legs", "spread_collapsed", "still_runs"]

MIN_STILL = 3  # consecutive pure-rotation pairs that make a turn on the spot
TINY = 0.1  # a moving pair's step under this fraction of the typical step is a stall
JUMP = 1.5  # a step over this many typical steps next to a stall covers the distance the stall skipped


def spread_collapsed(pos: np.ndarray, moved: np.ndarray, v: float, lo: int, hi: int) -> int:
    """Spread stalls of pairs ``lo .. hi - 1`` in place (module doc); the number of frames moved.

    pos [S, 3] camera centres; moved [S-1] pairs of positioned frames whose matches did not fit a pure
    rotation; v the walk's typical step. A stall is a run of moving pairs with steps < TINY * v; with one
    moving pair > JUMP * v right after it (or right before it), the frames inside stall + jump are put at
    even steps on the line between the frames at its two ends."""
    step = np.linalg.norm(np.diff(pos, axis=0), axis=1)  # [S-1]
    tiny, jump = moved & (step < TINY * v), moved & (step > JUMP * v)
    done, i = 0, lo
    while i < hi:
        if not tiny[i]:
            i += 1
            continue
        j = i
        while j + 1 < hi and tiny[j + 1]:
            j += 1  # the stall is pairs i .. j
        if j + 1 < hi and jump[j + 1]:
            a, b = i, j + 2  # frames a .. b: pairs i .. j + 1
        elif i - 1 >= lo and jump[i - 1]:
            a, b = i - 1, j + 1
        else:
            i = j + 1
            continue
        t = np.arange(1, b - a)[:, None] / (b - a)  # [b - a - 1, 1]
        pos[a + 1 : b] = pos[a] + t * (pos[b] - pos[a])
        done += b - a - 1
        i = b
    return done


def still_runs(pure: Sequence[bool], min_len: int = MIN_STILL) -> list[tuple[int, int]]:
    """(first, last) pair index of every run of at least `min_len` pure-rotation pairs.

    pure [S-1]: pair (i, i+1) of consecutive sampled frames fits a pure rotation. A lone pair between two
    pure ones belongs to the run (one noisy pair does not end a turn: seed 99's street turn read
    "R x 15, ., R x 7")."""
    p = list(pure)
    p = [x or (0 < i < len(p) - 1 and p[i - 1] and p[i + 1]) for i, x in enumerate(p)]
    runs, start = [], None
    for i, x in enumerate([*p, False]):
        if x and start is None:
            start = i
        elif not x and start is not None:
            if i - start >= min_len:
                runs.append((start, i - 1))
            start = None
    return runs


def rescale_legs(
    c2w: dict[str, np.ndarray],
    names: list[str],
    pure: Sequence[bool],
    tracks: Sequence[Sequence[int]],
    min_shared: int = 20,
    rule: str = "speed",
) -> tuple[dict[str, np.ndarray], int]:
    """(c2w with each poorly tied walk after a turn rescaled, number of walks rescaled).

    c2w: name -> [4, 4] of the model's registered frames; names [S]: the sampled frames in clip order;
    pure [S-1]: consecutive pairs that only turned; tracks: per 3D point, the sampled indices observing it.
    rule "speed" rescales (module doc); "model" keeps the mapper's scale.
    """
    if rule not in ("speed", "model"):
        raise ValueError(f"unknown leg scale rule {rule!r}; known: speed, model")
    runs = still_runs(pure)
    if rule == "model" or not runs:
        return c2w, 0
    S = len(names)
    have = np.array([n in c2w for n in names])  # [S]
    pos = np.stack([c2w[n][:3, 3] if n in c2w else np.zeros(3) for n in names])  # [S, 3]
    steps = have[:-1] & have[1:] & ~np.asarray(pure, dtype=bool)  # [S-1] positioned pairs that moved
    pair = np.arange(S - 1)  # [S-1] pair i joins frames i, i+1
    seen = [np.asarray(t, dtype=np.int64) for t in tracks]
    first = np.array([t.min() if len(t) else S for t in seen])  # [P] first observing frame
    last = np.array([t.max() if len(t) else -1 for t in seen])  # [P]
    done = 0
    for k, (a, b) in enumerate(runs):
        after0 = b + 1  # first frame after the turn (at the turn's centre)
        after1 = runs[k + 1][0] if k + 1 < len(runs) else S - 1  # this walk's last frame
        shared = int(((first < a) & (last > after0)).sum())  # seen before and after the turn
        if shared >= min_shared or not (have[a] and have[after0]):
            continue
        v_before = typical_step(pos, steps & (pair < a))
        v_after = typical_step(pos, steps & (pair >= after0) & (pair < after1))
        if v_before <= 0 or v_after <= 0:
            continue
        s = v_before / v_after
        centre, join = pos[a].copy(), pos[after0].copy()  # the turn's centre; where the later walk starts
        pos[after0:] = centre + s * (pos[after0:] - join)
        pos[a + 1 : after0] = centre  # the turn itself: one centre (its pairs only turned)
        spread_collapsed(pos, steps, v_before, after0, after1)
        done += 1
    if not done:
        return c2w, 0
    out = {}
    for i, n in enumerate(names):
        if n in c2w:
            m = c2w[n].copy()
            m[:3, 3] = pos[i]  # frames of the turn the model left out stay left out
            out[n] = m
    return out, done
