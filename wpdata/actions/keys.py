"""Key scripts ("W*16 D*8 W+right*4") and camera paths that perform them.

Grammar: tokens separated by spaces and/or commas; a token is ``KEYS[*N]`` (or the release's pose-string
form ``KEYS-N``), N latent frames (default 1). KEYS is ``+``-joined keys among W A S D (any case),
right left up down (any case) and the release's view aliases LR LL LU LD; ``none`` / ``idle`` press
nothing. Opposite keys cancel (W+S -> no movement), as in ``manifests.actions.keys_to_label``.

A script lists the actions of the latent steps after the first frame, like the release's pose strings
("w-31" is 32 latents): n labels -> a path of ``1 + 4 n`` video frames whose ``latent_actions`` are
``[0, *labels]``.

:func:`trajectory_from_labels` builds that path: per latent, 4 video frames of constant velocity; W/S/D/A
move ``step_m`` per latent in the horizontal plane (along the heading and its right, diagonals at the
same speed); right/left turn ``turn_deg`` per latent about the world-up axis; up/down pitch ``turn_deg``
per latent about the camera x axis, clamped to +-``pitch_limit_deg``. The latent labels decode back
exactly (with the release thresholds) while ``step_m > 0.01``, ``0.05 / cos(pitch_limit) < turn_deg``
and ``turn_deg`` at most ~3.6 (with the 30 deg limit; ~3.4 with 45): turning while pitched by p
leaks a second-order x angle of about turn^2 sin(2 p) / 4 (rad), measured past the 0.05 deg threshold
from 3.7 deg per latent on; and the pitch stays inside the clamp: a step
that would pitch past the limit loses its up/down. The default 30 deg limit keeps W+D inside the 60 deg
cone (horizontal diagonal motion seen from a camera pitched by p makes an angle arccos(cos p / sqrt 2)
with its axis, which reaches 60 deg at p = 45 deg).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from manifests.actions import HY_VIEW, MOVE_KEYS, NUM_ACTIONS, VIEW_KEYS, keys_to_label, label_to_keys
from manifests.layout import FRAMES_PER_LATENT
from wpdata.geometry import as_se3

__all__ = ["parse_key_script", "format_key_script", "trajectory_from_labels"]

_TOKEN = re.compile(r"^(?P<keys>[A-Za-z+]+)(?:[*-](?P<n>[0-9]+))?$")
_NONE = {"none", "idle"}


def _key(name: str, token: str) -> str | None:
    low = name.lower()
    if low in _NONE:
        return None
    if low in VIEW_KEYS:
        return low
    if name.upper() in MOVE_KEYS or name.upper() in HY_VIEW.values():
        return name.upper()
    raise ValueError(
        f"key script token {token!r}: unknown key {name!r}; expected W A S D, right left up down, "
        f"LR LL LU LD, or none / idle"
    )


def parse_key_script(script: str) -> list[int]:
    """Labels per latent step of a key script, e.g. ``"W*16 D*8 W+right*4"`` -> 28 labels."""
    if not isinstance(script, str):
        raise TypeError(f"key script must be a string, got {type(script).__name__}")
    labels: list[int] = []
    for token in script.replace(",", " ").split():
        m = _TOKEN.match(token)
        if not m:
            raise ValueError(f"key script token {token!r}: expected KEYS[*N] such as 'W*16' or 'W+left*8'")
        n = int(m["n"]) if m["n"] is not None else 1
        if n < 1:
            raise ValueError(f"key script token {token!r}: count must be >= 1")
        parts = m["keys"].split("+")
        if any(not p for p in parts):
            raise ValueError(f"key script token {token!r}: empty key between '+'")
        keys = [k for k in (_key(p, token) for p in parts) if k is not None]
        labels += [keys_to_label(keys)] * n
    return labels


def _label_token(label: int) -> str:
    keys = label_to_keys(label)
    ordered = [k for k in MOVE_KEYS + VIEW_KEYS if k in keys]
    return "+".join(ordered) if ordered else "none"


def format_key_script(labels: Sequence[int]) -> str:
    """Run-length key script of labels (inverse of :func:`parse_key_script`)."""
    out: list[str] = []
    i, labels = 0, [int(x) for x in labels]
    while i < len(labels):
        j = i
        while j < len(labels) and labels[j] == labels[i]:
            j += 1
        out.append(f"{_label_token(labels[i])}*{j - i}")
        i = j
    return " ".join(out)


def _rot_x(a: np.ndarray) -> np.ndarray:
    """Rotations about x by angles a [N] (rad)."""  # -> [N, 3, 3]
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(np.shape(a) + (3, 3))
    R[..., 0, 0], R[..., 1, 1], R[..., 1, 2], R[..., 2, 1], R[..., 2, 2] = 1.0, c, -s, s, c
    return R


def _rot_y(a: np.ndarray) -> np.ndarray:
    """Rotations about y by angles a [N] (rad)."""  # -> [N, 3, 3]
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(np.shape(a) + (3, 3))
    R[..., 0, 0], R[..., 0, 2], R[..., 1, 1], R[..., 2, 0], R[..., 2, 2] = c, s, 1.0, -s, c
    return R


def _rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _signs(keys: frozenset[str]) -> tuple[int, int, int, int]:
    """(forward, right, yaw right, pitch up) signs of a set of pressed keys."""
    return (
        ("W" in keys) - ("S" in keys),
        ("D" in keys) - ("A" in keys),
        ("right" in keys) - ("left" in keys),
        ("up" in keys) - ("down" in keys),
    )


def _start_frame(c2w0: np.ndarray, world_up: Sequence[float] | None) -> tuple[np.ndarray, float, float]:
    """(level base B [3, 3] with camera axes as columns, start pitch, roll) of a start pose."""
    R0 = c2w0[:3, :3]
    up = -R0[:, 1] if world_up is None else np.asarray(world_up, np.float64)
    if up.shape != (3,) or not np.isfinite(up).all() or np.linalg.norm(up) < 1e-9:
        raise ValueError(f"world_up must be a finite non-zero 3-vector, got {world_up!r}")
    up = up / np.linalg.norm(up)
    f = R0[:, 2]
    h = f - (f @ up) * up  # horizontal heading
    if np.linalg.norm(h) < 1e-6:
        raise ValueError("trajectory_from_labels: the start camera looks straight along world_up")
    z_b = h / np.linalg.norm(h)
    y_b = -up
    B = np.stack([np.cross(y_b, z_b), y_b, z_b], axis=1)  # [3, 3]
    pitch = float(np.arcsin(np.clip(f @ up, -1.0, 1.0)))
    M = (B @ _rot_x(np.array(pitch))).T @ R0  # what is left is a roll about the optical axis
    return B, pitch, float(np.arctan2(M[1, 0], M[0, 0]))


def trajectory_from_labels(
    labels: Sequence[int],
    step_m: float = 0.08,
    turn_deg: float = 3.0,
    c2w0: np.ndarray | None = None,
    *,
    world_up: Sequence[float] | None = None,
    pitch_limit_deg: float = 30.0,
) -> np.ndarray:
    """OpenCV c2w per video frame [1 + 4 n, 4, 4] performing n latent labels (module docstring).

    ``c2w0`` is frame 0 (identity by default); ``world_up`` defaults to the start camera's image-up
    direction (-y column of c2w0), i.e. the start camera is taken as level.
    """
    labels = [int(x) for x in labels]
    bad = [x for x in labels if not 0 <= x < NUM_ACTIONS]
    if bad:
        raise ValueError(f"labels must be in [0, {NUM_ACTIONS}), got {bad[:5]}")
    for name, v in (("step_m", step_m), ("turn_deg", turn_deg)):
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {v}")
    if not 0.0 < pitch_limit_deg < 90.0:
        raise ValueError(f"pitch_limit_deg must be in (0, 90), got {pitch_limit_deg}")
    c2w0 = np.eye(4) if c2w0 is None else as_se3(c2w0, "c2w0")
    if c2w0.shape != (4, 4):
        raise ValueError(f"c2w0 must be one [4, 4] pose, got shape {c2w0.shape}")
    B, pitch0, roll = _start_frame(c2w0, world_up)
    limit = np.radians(pitch_limit_deg)
    if abs(pitch0) > limit + 1e-9:
        raise ValueError(
            f"start pitch {np.degrees(pitch0):.2f} deg is beyond pitch_limit_deg={pitch_limit_deg}"
        )
    per_latent = np.array([_signs(label_to_keys(x)) for x in labels], np.float64).reshape(-1, 4)  # [n, 4]
    fwd, side, dyaw, dpitch = np.repeat(per_latent, FRAMES_PER_LATENT, axis=0).T  # [4n] each
    turn = np.radians(turn_deg) / FRAMES_PER_LATENT
    yaw = np.cumsum(dyaw * turn)  # [4n] rad, about world up (+ = right)
    pitch = np.empty_like(yaw)  # [4n] rad, clamped running sum (sequential because of the clamp)
    p = pitch0
    for k, d in enumerate((dpitch * turn).tolist()):
        p = min(max(p + d, -limit), limit)
        pitch[k] = p
    level = B @ _rot_y(yaw)  # [4n, 3, 3] heading frames, no pitch
    move = fwd[:, None] * level[:, :, 2] + side[:, None] * level[:, :, 0]  # [4n, 3]
    speed = np.hypot(fwd, side)
    move *= np.divide(step_m / FRAMES_PER_LATENT, speed, out=np.zeros_like(speed), where=speed > 0)[:, None]
    out = np.broadcast_to(np.eye(4), (1 + len(yaw), 4, 4)).copy()
    out[0] = c2w0
    out[1:, :3, :3] = level @ _rot_x(pitch) @ _rot_z(roll)
    out[1:, :3, 3] = c2w0[:3, 3] + np.cumsum(move, axis=0)
    return out
