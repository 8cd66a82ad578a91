"""The five revisit-heavy path kinds as keyframes (plane positions [K, 2], unwrapped yaw [K]).

Every kind returns to places it has seen, facing so that the views overlap: out-and-back retreats
facing the way out or turns round and turns back at the start; loops close and run on past the
closure; orbit-and-return comes back along a tighter arc still looking at the focus; look-around turns
in place both ways and comes back to the start heading; zig-zag strafes across a strip facing ahead
and retreats to its start. Sizes come from a ``Budget`` (path length and total turn the time allows),
so a kind fills its frames at walking speed. A kind raises ``Unplaceable`` when the random draw does
not fit the reachable region (the generator then draws again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wpdata.camera_paths.reachable import Reachable

__all__ = [
    "Budget",
    "Unplaceable",
    "TRAJECTORY_KINDS",
    "out_and_back",
    "loop",
    "orbit_and_return",
    "look_around",
    "zig_zag",
]

_STEP = np.radians(30.0)  # keyframe spacing along arcs and turns


class Unplaceable(ValueError):
    """The drawn path does not fit the reachable region."""


@dataclass(frozen=True)
class Budget:
    """What the trajectory's duration allows: path length (scene units) and total turn (rad)."""

    length: float
    turn: float


def _unit(a: float) -> np.ndarray:
    return np.array([np.cos(a), np.sin(a)])


def _fits(region: Reachable, uv: np.ndarray) -> None:
    if not region.inside(uv).all():
        raise Unplaceable("keyframes leave the reachable region")


def _turn(yaw0: float, yaw1: float) -> np.ndarray:
    """Yaw keyframes from yaw0 to yaw1 (exclusive of yaw0) at most _STEP apart: [n]."""
    n = max(int(np.ceil(abs(yaw1 - yaw0) / _STEP)), 1)
    return np.linspace(yaw0, yaw1, n + 1)[1:]


def out_and_back(
    region: Reachable, rng: np.random.Generator, budget: Budget
) -> tuple[np.ndarray, np.ndarray]:
    """Walk out, come back on a sideways-offset line: retreating facing out, or turned round and turning back."""
    p0, th = region.sample_inside(rng), float(rng.uniform(-np.pi, np.pi))
    turn_round = 2 * np.pi < 0.6 * budget.turn and rng.random() < 0.35  # time for two half turns
    walk_share = 1.0 - 2 * np.pi / budget.turn if turn_round else 1.0
    length = min(0.9 * region.ray_length(p0, th), 0.45 * budget.length * walk_share * rng.uniform(0.7, 1.0))
    if length < 0.15 * budget.length * walk_share:
        raise Unplaceable("no room for the out leg")
    d, n = _unit(th), _unit(th + np.pi / 2)
    s = np.linspace(0.0, 1.0, 5)
    out = p0 + s[:, None] * length * d  # [5, 2]
    offset = rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 0.15) * length
    back = p0 + s[::-1, None] * length * d + offset * np.sin(np.pi * s)[:, None] * n  # [5, 2]
    if not turn_round:  # retreat facing the way out
        uv, yaw = np.concatenate([out, back[1:]]), np.full(9, th)
    else:  # turn round at the far end, walk home, turn back to the start heading
        sign = rng.choice([-1.0, 1.0])
        spin = _turn(th, th + sign * np.pi)
        home = _turn(th + sign * np.pi, th)
        uv = np.concatenate(
            [out, np.repeat(out[-1:], len(spin), 0), back[1:], np.repeat(p0[None], len(home), 0)]
        )
        yaw = np.concatenate([np.full(5, th), spin, np.full(4, th + sign * np.pi), home])
    _fits(region, uv)
    return uv, yaw


def loop(region: Reachable, rng: np.random.Generator, budget: Budget) -> tuple[np.ndarray, np.ndarray]:
    """An ellipse walked once round and on past its closure, looking ahead and somewhat inwards."""
    c = region.sample_inside(rng)
    laps = min(rng.uniform(1.3, 1.7), 0.9 * budget.turn / (2 * np.pi))  # a lap turns the camera 360 deg
    if laps < 1.15:
        raise Unplaceable("too short for a loop at this turn rate")
    room = float(region.depth(c)[0]) - region.margin
    r = min(0.95 * room, budget.length / (2 * np.pi * laps) * rng.uniform(0.7, 1.0))
    if r < 0.03 * region.extent:
        raise Unplaceable("no room for a loop here")
    ratio, rot, sense = rng.uniform(0.6, 1.0), rng.uniform(0, np.pi), rng.choice([-1.0, 1.0])
    a = rng.uniform(0, 2 * np.pi) + sense * np.arange(0.0, 2 * np.pi * laps + 1e-9, _STEP / 1.5)  # [K]
    R = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]])
    local = np.stack([r * np.cos(a), r * ratio * np.sin(a)], -1)  # [K, 2]
    uv = c + local @ R.T
    tangent = sense * np.stack([-r * np.sin(a), r * ratio * np.cos(a)], -1) @ R.T  # [K, 2]
    inward = sense * rng.uniform(0.0, np.radians(50.0))
    yaw = np.unwrap(np.arctan2(tangent[:, 1], tangent[:, 0])) + inward
    _fits(region, uv)
    return uv, yaw


def orbit_and_return(
    region: Reachable, rng: np.random.Generator, budget: Budget
) -> tuple[np.ndarray, np.ndarray]:
    """Orbit an arc round a focus looking at it, then come back along a tighter arc to the start."""
    f = region.sample_inside(rng)
    sweep = min(rng.uniform(np.radians(120), np.radians(240)), 0.45 * budget.turn)  # out and back
    if sweep < np.radians(60):
        raise Unplaceable("too short for an orbit at this turn rate")
    sweep *= rng.choice([-1.0, 1.0])
    tight = rng.uniform(0.7, 0.9)
    r = budget.length / ((1 + tight) * abs(sweep) + 2 * (1 - tight)) * rng.uniform(0.7, 1.0)
    r = min(r, 0.3 * region.extent, 0.95 * (float(region.depth(f)[0]) - region.margin))  # the circle fits
    a0 = rng.uniform(0, 2 * np.pi)
    n = int(np.ceil(abs(sweep) / _STEP)) + 1
    a_out = a0 + np.linspace(0.0, sweep, n)
    a_back = a_out[::-1]
    uv = np.concatenate([
        f + r * np.stack([np.cos(a_out), np.sin(a_out)], -1),
        f + tight * r * np.stack([np.cos(a_back), np.sin(a_back)], -1),
        (f + r * _unit(a0))[None],
    ])  # fmt: skip
    look = np.unwrap(np.concatenate([a_out, a_back, [a0]]) + np.pi)  # face the focus
    if r < 0.03 * region.extent:
        raise Unplaceable("orbit too small")
    _fits(region, uv)
    return uv, look


def look_around(region: Reachable, rng: np.random.Generator, budget: Budget) -> tuple[np.ndarray, np.ndarray]:
    """Turn in place one way, back to the start heading, the other way, and back again."""
    p0, th = region.sample_inside(rng), float(rng.uniform(-np.pi, np.pi))
    total = min(budget.turn * rng.uniform(0.6, 0.9), 8 * np.pi)
    first = total / 4 * rng.uniform(0.7, 1.3)
    second = min(total / 2 - first, 2 * np.pi)
    sign = rng.choice([-1.0, 1.0])
    yaw = np.concatenate([
        [th], _turn(th, th + sign * first), _turn(th + sign * first, th),
        _turn(th, th - sign * second), _turn(th - sign * second, th),
    ])  # fmt: skip
    uv = np.repeat(p0[None], len(yaw), 0)
    _fits(region, uv)
    return uv, yaw


def zig_zag(region: Reachable, rng: np.random.Generator, budget: Budget) -> tuple[np.ndarray, np.ndarray]:
    """Strafe back and forth across a strip while advancing and facing ahead, then retreat to the start."""
    p0, th = region.sample_inside(rng), float(rng.uniform(-np.pi, np.pi))
    legs = int(rng.integers(4, 7))
    advance = min(0.85 * region.ray_length(p0, th), 0.3 * budget.length)
    width = rng.uniform(0.4, 0.8) * advance
    total = np.hypot(advance / legs, width) * legs + advance
    scale = min(1.0, budget.length * rng.uniform(0.7, 1.0) / total)
    advance, width = advance * scale, width * scale
    if advance < 0.05 * region.extent:
        raise Unplaceable("no room to advance")
    d, n = _unit(th), _unit(th + np.pi / 2)
    side = np.where(np.arange(legs + 1) % 2 == 0, -0.5, 0.5) * width
    side[0] = 0.0
    zig = p0 + (np.arange(legs + 1) / legs)[:, None] * advance * d + side[:, None] * n  # [legs+1, 2]
    uv = np.concatenate([zig, p0[None] + 0.5 * advance * d, p0[None]])
    yaw = np.concatenate([th + 0.3 * np.sign(side), [th, th]])
    _fits(region, uv)
    return uv, yaw


KindFn = Callable[[Reachable, np.random.Generator, Budget], tuple[np.ndarray, np.ndarray]]
TRAJECTORY_KINDS: dict[str, KindFn] = {
    "out_and_back": out_and_back,
    "loop": loop,
    "orbit_and_return": orbit_and_return,
    "look_around": look_around,
    "zig_zag": zig_zag,
}
