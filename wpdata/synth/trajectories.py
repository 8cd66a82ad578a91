"""Seeded camera trajectories in a synthetic world: OpenCV c2w [T, 4, 4] float64 at ``fps``.

Ground paths come from a steering walker that only steps onto free cells of the world's free-space
map (it turns, or waits, rather than step into an obstacle), so every camera stays in free space and
never exceeds its speed. Gaze (yaw / pitch offsets) follows smoothed noise. World up is +z. An
outdoor drone steers in the `airspace` above the obstacles lower than it flies, looking a U-turn ahead.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wpdata.synth.cameras import axis_angle_to_R, pose_from_yaw_pitch
from wpdata.synth.world import World, free_space_map

__all__ = [
    "walking",
    "drone",
    "out_and_back",
    "loop",
    "look_around",
    "static",
    "add_shake",
    "airspace",
    "orbit",
    "TRAJECTORIES",
    "EYE_HEIGHT",
]

EYE_HEIGHT = 1.6
_OFFSETS = np.radians(np.concatenate([[0.0], np.repeat(np.arange(10, 181, 10), 2) * np.tile([1, -1], 18)]))


def _check(T: int, fps: float) -> None:
    if T < 1 or fps <= 0:
        raise ValueError(f"need T >= 1 frames and fps > 0, got T={T}, fps={fps}")


def _smooth_noise(rng: np.random.Generator, T: int, fps: float, seconds: float, amp: float) -> np.ndarray:
    """Band-limited noise: white noise low-passed with a Gaussian of ``seconds`` width, std ~ amp."""  # [T]
    pad = int(3 * seconds * fps) + 1
    x = rng.normal(size=T + 2 * pad)
    s = max(seconds * fps, 1e-6)
    k = np.exp(-0.5 * (np.arange(-pad, pad + 1) / s) ** 2)
    y = np.convolve(x, k / np.sqrt((k**2).sum()), mode="same")[pad : pad + T]
    return amp * y


def _start(world: World, rng: np.random.Generator, clearance: float = 1.5) -> np.ndarray:
    """A random free point with free space all around it (within ``clearance`` m)."""
    pts = world.free_points()
    if len(pts) == 0:
        raise ValueError(f"world {world.kind!r} has no free space for a camera")
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], -1) * clearance
    for p in pts[rng.permutation(len(pts))[:400]]:
        if world.is_free(p + ring).all():
            return p
    return pts[rng.integers(len(pts))]


def _open_direction(world: World, p: np.ndarray, want: float, look: np.ndarray, default=None) -> float:
    """The direction nearest ``want`` (in 10-degree steps) whose probe points at distances ``look`` from
    ``p`` are all free; ``default`` (or ``want``) when none is."""
    dirs = want + _OFFSETS
    probe = p + look[None, :, None] * np.stack([np.cos(dirs), np.sin(dirs)], -1)[:, None, :]
    ok = world.is_free(probe).all(-1)
    return float(dirs[np.argmax(ok)]) if ok.any() else float(want if default is None else default)


def _walk_xy(
    world: World, T: int, fps: float, rng, speed: float, turn_dps: float = 60.0, start=None, reach=None
):
    """Steering walker: returns (xy [T, 2], heading [T]) with |step| <= speed / fps, all points free.

    It steers towards the direction nearest its wish whose next ``reach`` metres (default 1.5 s of
    walking, at least 2 m) are free; given a ``reach``, it also starts facing such a direction."""
    p = _start(world, rng) if start is None else np.asarray(start, float)
    heading = float(rng.uniform(-np.pi, np.pi))
    wander = _smooth_noise(rng, T, fps, 1.5, np.radians(25.0))  # desired heading rate, rad/s
    step, max_turn = speed / fps, np.radians(turn_dps) / fps
    look = np.linspace(0.3, reach or max(2.0, 1.5 * speed), 8)
    if reach is not None:
        heading = _open_direction(world, p, heading, look)
    xy, hd = np.empty((T, 2)), np.empty(T)
    for i in range(T):
        xy[i], hd[i] = p, heading
        want = heading + wander[i] / fps
        target = _open_direction(world, p, want, look, heading + np.pi)
        heading += float(np.clip(np.angle(np.exp(1j * (target - heading))), -max_turn, max_turn))
        nxt = p + step * np.array([np.cos(heading), np.sin(heading)])
        if world.is_free(nxt):
            p = nxt
    return xy, hd


def airspace(world: World, floor_z: float, margin: float = 2.0) -> World:
    """The world as a flier at >= ``floor_z`` m sees it: free wherever no obstacle reaches that high."""
    tall = [b for b in world.boxes if b.height >= floor_z - 0.5]
    free, origin = free_space_map(world.bounds, tall, margin, world.free_res)
    return replace(world, free=free, free_origin=origin, cache={})


def _height_limit(world: World, want: float) -> float:
    return want if world.ceiling is None else min(want, world.ceiling)


def walking(world: World, T: int, fps: float, seed: int, speed: float = 1.4) -> np.ndarray:
    """Walk forward at eye height 1.6 m with gentle turns and looking around."""
    _check(T, fps)
    rng = np.random.default_rng([seed, 1])
    xy, hd = _walk_xy(world, T, fps, rng, speed)
    yaw = hd + _smooth_noise(rng, T, fps, 1.0, np.radians(15.0))
    pitch = _smooth_noise(rng, T, fps, 1.0, np.radians(4.0)) - np.radians(3.0)
    z = EYE_HEIGHT + 0.02 * np.sin(2 * np.pi * 1.8 * np.arange(T) / fps)  # gait bob
    return pose_from_yaw_pitch(np.column_stack([xy, z]), yaw, pitch)


def drone(world: World, T: int, fps: float, seed: int, speed: float = 4.0) -> np.ndarray:
    """Fly smoothly at 5-15 m (below the ceiling indoors), pitched down 15-35 degrees.

    Outdoors the drone flies over obstacles lower than its floor height and steers only around the
    facades (and anything taller), looking a U-turn's width ahead so that it turns before a wall; it
    used to dodge parked cars from 5 m up and stall at the world's edge staring at a facade.
    """
    _check(T, fps)
    rng = np.random.default_rng([seed, 2])
    lo, hi = (5.0, 15.0) if world.ceiling is None else (1.8, world.ceiling)
    if world.ceiling is not None:
        speed = min(speed, 1.5)
        xy, hd = _walk_xy(world, T, fps, rng, speed, turn_dps=30.0)
    else:
        turn_dps = 45.0
        u_turn = 2.0 * speed / np.radians(turn_dps)  # diameter of its tightest turn
        xy, hd = _walk_xy(airspace(world, lo), T, fps, rng, speed, turn_dps, reach=u_turn + 1.0)
    mid = float(rng.uniform(lo, hi))
    z = np.clip(mid + _smooth_noise(rng, T, fps, 3.0, 0.25 * (hi - lo)), lo, _height_limit(world, hi))
    pitch = -np.radians(25.0) + _smooth_noise(rng, T, fps, 2.0, np.radians(4.0))
    yaw = hd + _smooth_noise(rng, T, fps, 2.0, np.radians(8.0))
    return pose_from_yaw_pitch(
        np.column_stack([xy, z]), yaw, np.clip(pitch, -np.radians(35), -np.radians(15))
    )


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3 - 2 * x)


def out_and_back(world: World, T: int, fps: float, seed: int, speed: float = 1.4) -> np.ndarray:
    """Walk out, turn around in place (2 s), walk back along the same path (revisits, other heading)."""
    _check(T, fps)
    rng = np.random.default_rng([seed, 3])
    n_turn = min(max(int(round(2 * fps)), 1), T)
    n_out = (T - n_turn) // 2
    n_back = T - n_turn - n_out
    xy, hd = _walk_xy(world, max(n_out, 1), fps, rng, speed)
    xy, hd = xy[:n_out], hd[:n_out]
    end = xy[-1] if n_out else _start(world, rng)
    h_end = hd[-1] if n_out else float(rng.uniform(-np.pi, np.pi))
    turn = h_end + np.pi * _smoothstep(np.linspace(0, 1, n_turn))
    back = xy[::-1][: max(n_back, 0)]
    back_hd = hd[::-1][: len(back)] + np.pi
    if len(back) < n_back:  # odd leftover frame: stand still at the start
        pad = n_back - len(back)
        back = np.concatenate([back, np.repeat(back[-1:] if len(back) else end[None], pad, 0)])
        back_hd = np.concatenate([back_hd, np.repeat(back_hd[-1:] if len(back_hd) else [h_end + np.pi], pad)])
    pos = np.concatenate([xy, np.repeat(end[None], n_turn, 0), back])
    yaw = np.concatenate([hd, turn, back_hd]) + _smooth_noise(rng, T, fps, 1.0, np.radians(10.0))
    pitch = _smooth_noise(rng, T, fps, 1.0, np.radians(3.0)) - np.radians(3.0)
    return pose_from_yaw_pitch(np.column_stack([pos, np.full(T, EYE_HEIGHT)]), yaw, pitch)


def loop(world: World, T: int, fps: float, seed: int, speed: float = 1.4) -> np.ndarray:
    """Walk around a closed ellipse (at least once when space allows) so places are revisited."""
    _check(T, fps)
    rng = np.random.default_rng([seed, 4])
    path_len = speed * T / fps
    ang = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    want = max(path_len / (2 * np.pi * 1.2), 0.5)
    for _ in range(200):
        c = _start(world, rng, clearance=0.5)
        rx = float(want * rng.uniform(0.8, 1.2))
        ry = float(want * rng.uniform(0.6, 1.0))
        rot = float(rng.uniform(0, np.pi))
        ring = np.stack([rx * np.cos(ang), ry * np.sin(ang)], -1) @ np.array(
            [[np.cos(rot), np.sin(rot)], [-np.sin(rot), np.cos(rot)]]
        )
        if world.is_free(c + ring).all():
            break
        want *= 0.97
    else:
        raise ValueError(f"no room for a loop in world {world.kind!r}")
    # arc-length parametrisation at constant speed
    fine = np.linspace(0, 2 * np.pi, 2049)
    pts = np.stack([rx * np.cos(fine), ry * np.sin(fine)], -1) @ np.array(
        [[np.cos(rot), np.sin(rot)], [-np.sin(rot), np.cos(rot)]]
    )
    s = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=-1))])
    d = np.mod(speed * np.arange(T) / fps, s[-1])
    pos = c + np.stack([np.interp(d, s, pts[:, 0]), np.interp(d, s, pts[:, 1])], -1)
    nxt = c + np.stack(
        [np.interp(d + 0.05, s, pts[:, 0], period=s[-1]), np.interp(d + 0.05, s, pts[:, 1], period=s[-1])], -1
    )
    yaw = np.arctan2(*(nxt - pos).T[::-1]) + _smooth_noise(rng, T, fps, 1.0, np.radians(12.0))
    pitch = _smooth_noise(rng, T, fps, 1.0, np.radians(3.0)) - np.radians(3.0)
    return pose_from_yaw_pitch(np.column_stack([pos, np.full(T, EYE_HEIGHT)]), yaw, pitch)


def look_around(world: World, T: int, fps: float, seed: int, max_dps: float = 60.0) -> np.ndarray:
    """Stand still, turn (up to a full turn, at most ``max_dps``) and turn back to the start heading."""
    _check(T, fps)
    rng = np.random.default_rng([seed, 5])
    p = _start(world, rng)
    sweep = min(np.radians(rng.uniform(120, 360)), np.radians(max_dps) * T / fps / np.pi)
    sweep *= rng.choice([-1, 1])
    x = np.arange(T) / max(T - 1, 1)
    yaw = float(rng.uniform(-np.pi, np.pi)) + sweep * np.sin(np.pi * x) ** 2
    pitch = np.radians(8.0) * np.sin(2 * np.pi * x) * rng.uniform(0.3, 1.0)
    return pose_from_yaw_pitch(np.array([p[0], p[1], EYE_HEIGHT]), yaw, pitch)


def static(
    world: World, T: int, fps: float, seed: int, noise_deg: float = 0.02, noise_m: float = 0.001
) -> np.ndarray:
    """A camera that does not move: one pose plus tiny per-frame sensor noise."""
    _check(T, fps)
    rng = np.random.default_rng([seed, 6])
    p = _start(world, rng)
    base = pose_from_yaw_pitch(
        [p[0], p[1], EYE_HEIGHT], rng.uniform(-np.pi, np.pi), -np.radians(rng.uniform(0, 10))
    )
    rot = axis_angle_to_R(rng.normal(0, np.radians(noise_deg), (T, 3)))
    out = np.repeat(base[None], T, 0)
    out[:, :3, :3] = base[:3, :3] @ rot
    out[:, :3, 3] += rng.normal(0, noise_m, (T, 3))
    return out


def add_shake(
    c2w: np.ndarray,
    fps: float,
    seed: int,
    amplitude_deg: float = 3.0,
    freq_hz: float = 5.0,
    amplitude_m: float = 0.02,
) -> np.ndarray:
    """High-frequency rotation / translation jitter in the camera frame (sum of sines near freq_hz)."""
    c2w = np.asarray(c2w, np.float64)
    T = len(c2w)
    rng = np.random.default_rng([seed, 7])
    t = np.arange(T)[:, None] / fps
    f = freq_hz * rng.uniform(0.7, 1.3, (3, 6))  # 3 axes x 6 sines
    ph = rng.uniform(0, 2 * np.pi, (3, 6))
    wave = np.stack([np.sin(2 * np.pi * f[a] * t + ph[a]).sum(-1) for a in range(3)], -1) / np.sqrt(
        3.0
    )  # [T, 3]
    jitter = axis_angle_to_R(np.radians(amplitude_deg) * wave)
    out = c2w.copy()
    out[:, :3, :3] = c2w[:, :3, :3] @ jitter
    out[:, :3, 3] += (c2w[:, :3, :3] @ (amplitude_m * wave[:, ::-1, None]))[..., 0]
    return out


def orbit(
    world: World, N: int, seed: int, center=None, radius: float | None = None, height: float | None = None
) -> np.ndarray:
    """N cameras on a circle around ``center`` (default: a box) looking at it, in free space when possible."""
    if N < 1:
        raise ValueError(f"need N >= 1 views, got {N}")
    rng = np.random.default_rng([seed, 8])
    ang = rng.uniform(0, 2 * np.pi) + np.linspace(0, 2 * np.pi, N, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], -1)  # [N, 2]
    if center is None:  # a box whose ring of cameras is free, the widest ring first
        cands = [(b.center[0], b.center[1], b.height * 0.6) for b in world.boxes]
        cands = [cands[i] for i in rng.permutation(len(cands))] or [(*_start(world, rng), 1.0)]
    else:
        cands = [tuple(center)]
    radii = [radius] if radius else list(np.linspace(6.0, 1.5, 10))
    best = None
    for r in radii:
        for c in cands:
            if world.is_free(np.asarray(c[:2]) + r * ring).all():
                best = (np.asarray(c, float), r)
                break
        if best:
            break
    center, r = best or (np.asarray(cands[0], float), radii[-1])
    h = height if height is not None else _height_limit(world, EYE_HEIGHT + 1.0)
    eye = np.column_stack([center[:2] + r * ring, h + 0.2 * np.sin(3 * ang)])
    d = center - eye
    return pose_from_yaw_pitch(
        eye, np.arctan2(d[:, 1], d[:, 0]), np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1]))
    )


TRAJECTORIES = {
    "walking": walking,
    "drone": drone,
    "out_and_back": out_and_back,
    "loop": loop,
    "look_around": look_around,
    "static": static,
}
