"""Camera motion in words, from the per-latent 81-class action labels (manifests.actions).

Rule (plain code: no library summarises action sequences):
1. Latent 0 is dropped (it is always "none" by construction: nothing before it); a clip of one latent
   has unknown motion.
2. Translation and rotation are read separately (`manifests.actions.split`); each sequence is smoothed
   by a centred majority vote over 3 latents and cut into runs; runs shorter than `min_run` latents
   (max(2, 10% of the clip)) are merged into the run before them, so one-latent flickers say nothing.
3. The main movement is the most frequent translation (ties go to the smaller index); "mostly" when it
   covers less than 90% of the clip; "stays in place" when it is none.
4. Other movements and every turn become events placed in time by their centre ("at first",
   "early on", "midway", "later", "near the end"; "throughout" when a turn spans >= 80% of the clip;
   "while turning right" when it is the only thing happening), in clip order, at most 3 of them.
5. A still run (no translation and no rotation) at the end gives "then stops"; at the start "after a
   pause". Example: "The camera mostly moves forward, turning right midway, then stops."
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from manifests.actions import NUM_ACTIONS, ROT_NAMES, TRANS_NAMES, split

__all__ = ["MOVE_PHRASES", "TURN_PHRASES", "TURN_VERBS", "describe_motion", "runs"]

MOVE_PHRASES: dict[str, str] = {
    "W": "moves forward",
    "S": "moves backward",
    "D": "moves sideways to the right",
    "A": "moves sideways to the left",
    "W+D": "moves forward and to the right",
    "W+A": "moves forward and to the left",
    "S+D": "moves backward and to the right",
    "S+A": "moves backward and to the left",
}
_MOVING = {k: "moving" + v[len("moves") :] for k, v in MOVE_PHRASES.items()}
TURN_PHRASES: dict[str, str] = {
    "right": "turning right",
    "left": "turning left",
    "up": "tilting up",
    "down": "tilting down",
    "right+up": "turning right and up",
    "right+down": "turning right and down",
    "left+up": "turning left and up",
    "left+down": "turning left and down",
}
TURN_VERBS = {k: v.replace("turning", "turns").replace("tilting", "tilts") for k, v in TURN_PHRASES.items()}
MAX_EVENTS = 3


def _smooth(seq: np.ndarray) -> np.ndarray:
    """Centred majority vote over 3 (the middle value wins ties); ends kept."""
    out = seq.copy()
    for i in range(1, len(seq) - 1):
        if seq[i - 1] == seq[i + 1] != seq[i]:
            out[i] = seq[i - 1]
    return out


def runs(seq: Sequence[int], min_run: int = 1) -> list[tuple[int, int, int]]:
    """(value, start, end) runs of `seq` (end exclusive); a run shorter than `min_run` joins the run before it
    (the first run joins the next), repeated until none is short or one run is left."""
    out: list[list[int]] = []
    for i, v in enumerate(seq):
        if out and out[-1][0] == int(v):
            out[-1][2] = i + 1
        else:
            out.append([int(v), i, i + 1])
    while len(out) > 1:
        short = [i for i, r in enumerate(out) if r[2] - r[1] < min_run]
        if not short:
            break
        i = short[0]
        j = i - 1 if i > 0 else 1
        out[j][1], out[j][2] = min(out[i][1], out[j][1]), max(out[i][2], out[j][2])
        del out[i]
        merged: list[list[int]] = []
        for r in out:  # neighbours with the same value become one run
            if merged and merged[-1][0] == r[0]:
                merged[-1][2] = r[2]
            else:
                merged.append(r)
        out = merged
    return [(v, s, e) for v, s, e in out]


def _when(start: int, end: int, n: int) -> str:
    centre = (start + end) / 2 / n
    if start == 0 and end - start < n:
        return "at first"
    if centre < 0.3:
        return "early on"
    if centre < 0.6:
        return "midway"
    if centre < 0.8:
        return "later"
    return "near the end"


def describe_motion(latent_labels: Sequence[int] | np.ndarray) -> str:
    """One sentence on how the camera moves (rule in the module docstring), ending with a full stop."""
    labels = np.asarray(latent_labels, dtype=np.int64).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_ACTIONS):
        raise ValueError(
            f"action labels must be in [0, {NUM_ACTIONS}), got min {labels.min()} max {labels.max()}"
        )
    labels = labels[1:]  # latent 0 is "none" by construction
    n = int(labels.size)
    if n == 0:
        return "The camera motion is unknown."
    trans = _smooth(np.array([split(v)[0] for v in labels]))
    rot = _smooth(np.array([split(v)[1] for v in labels]))
    if not trans.any() and not rot.any():
        return "The camera stays still."
    min_run = max(2, int(round(0.1 * n))) if n >= 4 else 1
    counts = Counter(trans.tolist())
    main = min(counts, key=lambda t: (-counts[t], t))
    share = counts[main] / n
    events: list[tuple[int, str]] = []  # (start latent, phrase)
    turns: list[tuple[int, int, str]] = []
    for value, s, e in runs(trans, min_run):
        if value not in (0, main):
            events.append((s, f"{_MOVING[TRANS_NAMES[value]]} {_when(s, e, n)}"))
    for value, s, e in runs(rot, min_run):
        if value != 0:
            turns.append((s, e, ROT_NAMES[value]))
            when = "throughout" if e - s >= 0.8 * n else _when(s, e, n)
            events.append((s, f"{TURN_PHRASES[ROT_NAMES[value]]} {when}"))
    events.sort()
    still = runs(np.where((trans == 0) & (rot == 0), 0, 1), min_run)
    pause = "After a pause, the" if len(still) > 1 and still[0][0] == 0 else "The"
    stops = ", then stops" if len(still) > 1 and still[-1][0] == 0 else ""
    mostly = "mostly " if share < 0.9 else ""
    single_turn = len(events) == 1 and len(turns) == 1 and turns[0][1] - turns[0][0] >= 0.8 * n
    if main == 0 and single_turn:
        return f"{pause} camera {TURN_VERBS[turns[0][2]]} while {mostly}staying in place{stops}."
    verb = f"{mostly}stays in place" if main == 0 else mostly + MOVE_PHRASES[TRANS_NAMES[main]]
    if single_turn:
        return f"{pause} camera {verb} while {TURN_PHRASES[turns[0][2]]}{stops}."
    parts = [f"{pause} camera {verb}"] + [text for _, text in events[:MAX_EVENTS]]
    return ", ".join(parts) + stops + "."
