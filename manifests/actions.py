"""The 81-class WorldPlay action vocabulary: ``label = trans * 9 + rot`` (REFERENCE.md section 1).

trans: 0 none, 1 W, 2 S, 3 D, 4 A, 5 W+D, 6 W+A, 7 S+D, 8 S+A.
rot:   0 none, 1 right, 2 left, 3 up, 4 down, 5 right+up, 6 right+down, 7 left+up, 8 left+down.

Keys are "W", "A", "S", "D" (movement) and "right", "left", "up", "down" (view); the HY-WorldPlay
release spells the view keys "LR", "LL", "LU", "LD", which are accepted as aliases. Opposite keys cancel
(W+S -> no forward/backward movement), as in the release's loader.

HY-WorldPlay action JSON entries are ``{"move_action": str, "view_action": str}``. The release loader
reads move_action by substring ("W" in s and "S" not in s, ...) and view_action by exact match against one
of "LR" / "LL" / "LU" / "LD", so it cannot express combined rotations. We write keys joined by "+"
("W+D", "LR+LU", "" for none); :func:`hy_to_label` reads that, the release's single tokens, and
concatenations such as "WD" or "LRLU".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NUM_ACTIONS = 81
NUM_TRANS = 9
NUM_ROT = 9

TRANS_NAMES: tuple[str, ...] = ("none", "W", "S", "D", "A", "W+D", "W+A", "S+D", "S+A")
ROT_NAMES: tuple[str, ...] = (
    "none",
    "right",
    "left",
    "up",
    "down",
    "right+up",
    "right+down",
    "left+up",
    "left+down",
)

MOVE_KEYS = ("W", "S", "D", "A")
VIEW_KEYS = ("right", "left", "up", "down")
HY_VIEW = {"right": "LR", "left": "LL", "up": "LU", "down": "LD"}
_ALIASES = {v: k for k, v in HY_VIEW.items()} | {"w": "W", "a": "A", "s": "S", "d": "D"}
_OPPOSITE = {
    "W": "S",
    "S": "W",
    "D": "A",
    "A": "D",
    "right": "left",
    "left": "right",
    "up": "down",
    "down": "up",
}

_TRANS_INDEX = {frozenset(n.split("+")) if n != "none" else frozenset(): i for i, n in enumerate(TRANS_NAMES)}
_ROT_INDEX = {frozenset(n.split("+")) if n != "none" else frozenset(): i for i, n in enumerate(ROT_NAMES)}


def label(trans: int, rot: int) -> int:
    """The 81-class label of a translation index and a rotation index (each in [0, 9))."""
    if not (0 <= int(trans) < NUM_TRANS and 0 <= int(rot) < NUM_ROT):
        raise ValueError(f"trans and rot must be in [0, 9), got trans={trans}, rot={rot}")
    return int(trans) * NUM_ROT + int(rot)


def split(label: int) -> tuple[int, int]:
    """(trans, rot) of an 81-class label."""
    if not 0 <= int(label) < NUM_ACTIONS:
        raise ValueError(f"action label must be in [0, {NUM_ACTIONS}), got {label}")
    return divmod(int(label), NUM_ROT)


def _canonical(key: str) -> str:
    k = _ALIASES.get(key, key)
    if k not in _OPPOSITE:
        raise ValueError(
            f"unknown action key {key!r}; expected one of {MOVE_KEYS + VIEW_KEYS} or {tuple(HY_VIEW.values())}"
        )
    return k


def keys_to_label(keys: Iterable[str]) -> int:
    """Label of a set of pressed keys; opposite keys cancel (W+S -> none)."""
    if isinstance(keys, str):
        raise TypeError(f"keys_to_label takes an iterable of key names, not the string {keys!r}")
    pressed = {_canonical(k) for k in keys}
    pressed = {k for k in pressed if _OPPOSITE[k] not in pressed}
    trans = _TRANS_INDEX[frozenset(k for k in pressed if k in MOVE_KEYS)]
    rot = _ROT_INDEX[frozenset(k for k in pressed if k in VIEW_KEYS)]
    return label(trans, rot)


def label_to_keys(label: int) -> frozenset[str]:
    """The keys (among W/S/D/A and right/left/up/down) a label stands for."""
    trans, rot = split(label)
    keys = set()
    for name in (TRANS_NAMES[trans], ROT_NAMES[rot]):
        if name != "none":
            keys.update(name.split("+"))
    return frozenset(keys)


def label_name(label: int) -> str:
    """Readable name such as ``"W+D/right+up"`` (``"none/none"`` for label 0)."""
    trans, rot = split(label)
    return f"{TRANS_NAMES[trans]}/{ROT_NAMES[rot]}"


def label_to_hy(label: int) -> dict[str, str]:
    """HY-WorldPlay action JSON entry of a label: ``{"move_action": "W+D", "view_action": "LR+LU"}``."""
    trans, rot = split(label)
    move = "" if trans == 0 else TRANS_NAMES[trans]
    view = "" if rot == 0 else "+".join(HY_VIEW[k] for k in ROT_NAMES[rot].split("+"))
    return {"move_action": move, "view_action": view}


_VIEW_TOKEN = re.compile(r"L[RLUD]")


def hy_to_label(entry: dict[str, str | None]) -> int:
    """Label of an HY-WorldPlay action JSON entry (inverse of :func:`label_to_hy`)."""
    if not isinstance(entry, dict):
        raise ValueError(f"HY action entry must be a dict with move_action / view_action, got {entry!r}")
    move = (entry.get("move_action") or "").replace("+", "").replace(" ", "")
    view = (entry.get("view_action") or "").replace("+", "").replace(" ", "")
    if move.lower() == "none":
        move = ""
    if view.lower() == "none":
        view = ""
    bad_move = set(move.upper()) - set(MOVE_KEYS)
    if bad_move:
        raise ValueError(f"bad move_action {entry.get('move_action')!r}: unknown key(s) {sorted(bad_move)}")
    tokens = _VIEW_TOKEN.findall(view)
    if "".join(tokens) != view:
        raise ValueError(
            f"bad view_action {entry.get('view_action')!r}: expected tokens among LR, LL, LU, LD"
        )
    return keys_to_label([c.upper() for c in move] + tokens)
