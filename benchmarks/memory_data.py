"""Revisit trajectories and latents-mode shards for ``memory_effect.py`` (issue 7).

A path walks OUT, then RETURNS to places seen on the way out along a path that differs from the out
leg, so a model cannot score well by copying a retrieved chunk (REFERENCE.md section 6):

- ``offset``: out with ``walking``, step sideways (1 s), walk the reversed path 0.5-1.0 m to the
  side (free space permitting) still looking towards the far end (+-10 degrees), i.e. backwards.
- ``heading``: out with ``walking``, turn (1 s), walk the reversed path with the gaze 30-60 degrees
  off the out leg's heading (to one side).
A return that faces back the way it came would see mostly what the out leg never looked at (FOV
overlap with the out leg near 0 on 4-chunk legs), so memory could not help there; these returns
overlap the out leg's views (release FOV similarity ~0.2-0.9) without replaying them.
- ``loop``: two laps of a circle (one lap per half of the path), the second lap 0.4-0.7 m outside
  the first with the gaze turned 15-30 degrees outwards.

``leg_chunks`` says which chunks are out leg and which are return leg; ``path_gap`` measures how far
a return pose is from the nearest out pose (metres + degrees), which the benchmark asserts on.
Latents use ``train_tiny``'s stand-in VAE (fixed random projection; ``decode`` is its pseudo-inverse).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import safetensors.numpy
from train_tiny import FPS, SIZE, encode, projection

from manifests.layout import num_latents
from wpdata.actions.discretize import latent_actions
from wpdata.shards import npy_bytes, write_shard
from wpdata.synth import (
    EYE_HEIGHT,
    intrinsics,
    make_world,
    pose_from_yaw_pitch,
    render,
    walking,
    yaw_pitch_of,
)
from wpdata.synth.world import World

KINDS = ("offset", "heading", "loop")
TURN_FRAMES = 24  # 1 s turn in place between the legs
CHUNK = 4


def _frames(n_lat: int) -> int:
    return 4 * (n_lat - 1) + 1


def _out_and_return(world: World, T: int, seed: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Walk out, turn, come back along the reversed path with a sideways offset or another heading."""
    n_out = (T - TURN_FRAMES) // 2
    n_back = T - TURN_FRAMES - n_out
    out = walking(world, n_out, FPS, seed)  # [n_out, 4, 4]
    xy = out[:, :2, 3]
    yaw, pitch = yaw_pitch_of(out)
    pad = np.minimum(np.arange(n_back), n_out - 1)  # reversed out leg, the last pose held if n_back > n_out
    back_xy = xy[::-1][pad]
    side = rng.choice([-1, 1])
    if kind == "offset":  # the way back shifted sideways, gaze still towards the far end (+-10 deg)
        back_yaw = yaw[::-1][pad] + np.radians(rng.uniform(-10, 10))
        d = np.gradient(back_xy, axis=0)
        normal = np.stack([-d[:, 1], d[:, 0]], -1) / np.maximum(
            np.linalg.norm(d, axis=-1, keepdims=True), 1e-9
        )
        for off in rng.uniform(0.5, 1.0) * np.array([1, -1, 0.7, -0.7, 0.5, -0.5]) * side:
            if world.is_free(back_xy + off * normal).all():
                back_xy = back_xy + off * normal
                break
        else:  # no room for a sideways return: turn the gaze instead
            back_yaw = back_yaw + side * np.radians(rng.uniform(30, 60))
    else:  # the same way back, gaze turned 30-60 deg off the out leg's heading
        back_yaw = yaw[::-1][pad] + side * np.radians(rng.uniform(30, 60))
    w = np.linspace(0, 1, TURN_FRAMES)[:, None]
    turn_xy = (1 - w) * xy[-1] + w * back_xy[0]  # [TURN, 2] step across to the return path
    turn_yaw = yaw[-1] + (back_yaw[0] - yaw[-1]) * w[:, 0]
    pos = np.concatenate([xy, turn_xy, back_xy])  # [T, 2]
    yaws = np.concatenate([yaw, turn_yaw, back_yaw])
    pitches = np.concatenate([pitch, np.full(TURN_FRAMES, pitch[-1]), pitch[::-1][pad]])
    return pose_from_yaw_pitch(np.column_stack([pos, np.full(T, EYE_HEIGHT)]), yaws, pitches)


def _loop(world: World, T: int, rng: np.random.Generator, speed: float = 1.4) -> np.ndarray | None:
    """Two laps of a circle, the second wider and looking outwards; None when the world has no room."""
    half = T // 2
    r = speed * half / FPS / (2 * np.pi)  # one lap per half
    off = rng.uniform(0.4, 0.7)
    ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], -1)
    pts = world.free_points()
    for c in pts[rng.permutation(len(pts))[:300]]:
        if (
            world.is_free(c + (r + off + 0.3) * ring).all()
            and world.is_free(c + max(r - 0.3, 0.1) * ring).all()
        ):
            break
    else:
        return None
    sign = rng.choice([-1, 1])
    phi = rng.uniform(-np.pi, np.pi) + sign * speed * np.arange(T) / FPS / r  # [T] angle on the circle
    lap2 = np.arange(T) >= half
    rad = np.where(lap2, r + off, r)
    pos = c + rad[:, None] * np.stack([np.cos(phi), np.sin(phi)], -1)
    yaw = phi + sign * np.pi / 2 - np.where(lap2, sign * np.radians(rng.uniform(15, 30)), 0.0)
    pitch = np.full(T, -np.radians(3.0))
    return pose_from_yaw_pitch(np.column_stack([pos, np.full(T, EYE_HEIGHT)]), yaw, pitch)


def revisit_path(world: World, n_lat: int, seed: int, kind: str) -> np.ndarray:
    """OpenCV c2w per video frame [4 (n_lat - 1) + 1, 4, 4] of one out-and-return path of ``kind``."""
    T = _frames(n_lat)
    rng = np.random.default_rng([seed, 77, KINDS.index(kind)])
    c2w = _loop(world, T, rng) if kind == "loop" else None
    if c2w is None:
        c2w = _out_and_return(world, T, seed, "heading" if kind == "loop" else kind, rng)
    return c2w


def leg_chunks(n_lat: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(out-leg chunk indices, return-leg chunk indices); chunk 0 (given) is in neither, the turn neither."""
    n_chunks = n_lat // CHUNK
    start = np.arange(n_chunks) * CHUNK * 4  # first video frame of each chunk
    end = (np.arange(n_chunks) * CHUNK + CHUNK - 1) * 4  # last video frame of each chunk
    T = _frames(n_lat)
    if kind == "loop":
        out_end, back_start = T // 2, T // 2
    else:
        out_end, back_start = (T - TURN_FRAMES) // 2, (T - TURN_FRAMES) // 2 + TURN_FRAMES
    idx = np.arange(n_chunks)
    return idx[(idx > 0) & (end < out_end)], idx[start >= back_start]


def path_gap(c2w_lat: np.ndarray, out_lat: np.ndarray, back_lat: np.ndarray) -> np.ndarray:
    """Per return latent, min over out latents of (position distance m + heading difference / 45 deg)."""
    p_out, p_back = c2w_lat[out_lat, :3, 3], c2w_lat[back_lat, :3, 3]
    f_out, f_back = c2w_lat[out_lat, :3, 2], c2w_lat[back_lat, :3, 2]  # optical axes
    dist = np.linalg.norm(p_back[:, None] - p_out[None], axis=-1)  # [B, O]
    ang = np.degrees(np.arccos(np.clip(f_back @ f_out.T, -1, 1)))  # [B, O]
    return (dist + ang / 45.0).min(axis=1)


def make_scene(seed: int, n_lat: int, P: np.ndarray, kind: str | None = None) -> dict:
    """One world walked on one revisit path: c2w [T, 4, 4], K, actions [n_lat], latents [16, n_lat, 8, 8]."""
    kind = KINDS[seed % len(KINDS)] if kind is None else kind
    world = make_world(seed, ("street", "plaza", "room")[(seed // 3) % 3], texture_size=128)
    c2w = revisit_path(world, n_lat, seed, kind)
    K = intrinsics(SIZE, SIZE, 70.0)
    frames = np.stack(
        [render(world, c2w[4 * i], K, SIZE, SIZE)[0] for i in range(n_lat)]
    )  # latent i: frame 4i
    return {"seed": seed, "kind": kind, "c2w": c2w, "K": K, "actions": latent_actions(c2w),
            "latents": encode(frames, P)}  # fmt: skip


def write_scene_shard(path: Path, scenes: list[dict], scale: float) -> None:
    """Latents-mode shard (wpdata.shards layout) of scenes, latents multiplied by ``scale``."""
    samples = []
    for s in scenes:
        key = f"clip{s['seed']:06d}"
        c2w = s["c2w"].astype(np.float32)
        meta = {"item_id": key, "caption": "", "fps": FPS, "width": SIZE, "height": SIZE,
                "num_frames": len(c2w), "num_latents": num_latents(len(c2w)), "source": {"synth": s["seed"]},
                "scores": {}, "provenance": {"vae": "random-projection stand-in", "path": s["kind"]}}  # fmt: skip
        samples.append((key, {
            "c2w.npy": npy_bytes(c2w), "K.npy": npy_bytes(s["K"].astype(np.float32)),
            "action.npy": npy_bytes(s["actions"].astype(np.int16)), "json": json.dumps(meta).encode(),
            "latent.safetensors": safetensors.numpy.save({"latent": s["latents"] * scale}),
        }))  # fmt: skip
    write_shard(path, samples)


def decoder(P: np.ndarray) -> np.ndarray:
    """Pseudo-inverse [192, 16] of the stand-in projection: latents back to 8x8x3 pixel patches."""
    return np.linalg.pinv(P)


def decode(latents: np.ndarray, P_inv: np.ndarray) -> np.ndarray:
    """latents [L, 16, h, w] (unscaled) -> frames [L, 8h, 8w, 3] in [-1, 1] units (not clipped)."""
    L, _, h, w = latents.shape
    x = np.einsum("pc,lchw->lhwp", P_inv, latents).reshape(L, h, w, 8, 8, 3)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(L, 8 * h, 8 * w, 3)


__all__ = [
    "KINDS",
    "decode",
    "decoder",
    "leg_chunks",
    "make_scene",
    "path_gap",
    "projection",
    "write_scene_shard",
]
