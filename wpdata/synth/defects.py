"""A labelled set of synthetic H.264 clips, each clean or carrying exactly one defect class.

``make_defects_set`` writes ``clips/{label}_{k:04d}.mp4`` and ``labels.parquet`` (pyarrow) with
columns path (relative to out_dir), label, seed, world_kind, trajectory, params (JSON). Worlds,
trajectories and overlay parameters vary per clip so no trivial cue gives the label away.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from manifests.atomic import atomic_path
from wpdata.synth import overlays, trajectories
from wpdata.synth.cameras import intrinsics
from wpdata.synth.clips import render_frames
from wpdata.synth.layouts import WORLD_KINDS, make_world
from wpdata.synth.world import World
from wpdata.video import write_mp4

__all__ = ["DEFECT_CLASSES", "LABELS_SCHEMA", "make_defects_set"]

DEFECT_CLASSES = (
    "clean",
    "watermark",
    "hud",
    "subtitles",
    "shake",
    "static_camera",
    "scene_cut",
    "too_dark",
    "blurred",
)
_MOVING = ("walking", "drone", "loop", "out_and_back")
LABELS_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("label", pa.string()),
        ("seed", pa.int64()),
        ("world_kind", pa.string()),
        ("trajectory", pa.string()),
        ("params", pa.string()),
    ]
)


class _WorldPool:
    """A few seeded worlds per kind, built on first use and shared between clips (building costs ~0.2 s)."""

    def __init__(self, seed: int, per_kind: int = 2) -> None:
        self.seed, self.per_kind, self.worlds = seed, per_kind, {}

    def get(self, kind: str, rng: np.random.Generator) -> World:
        key = (kind, int(rng.integers(self.per_kind)))
        if key not in self.worlds:
            self.worlds[key] = make_world(self.seed * 1000 + key[1], kind)
        return self.worlds[key]


def _render(world: World, traj: str, T: int, fps: float, seed: int, K, width: int, height: int):
    c2w = trajectories.TRAJECTORIES[traj](world, T, fps, seed)
    return c2w, np.stack(list(render_frames(world, c2w, K, width, height)))  # [T, H, W, 3] uint8


def _make_clip(
    label: str, rng: np.random.Generator, pool: _WorldPool, T: int, fps: float, width: int, height: int
):
    """Frames [T, H, W, 3] of one clip and its (world_kind, trajectory, params)."""
    kind = str(rng.choice(WORLD_KINDS))
    world = pool.get(kind, rng)
    K = intrinsics(width, height, float(rng.uniform(60, 80)))
    s = int(rng.integers(2**31))
    traj = (
        "static"
        if label == "static_camera"
        else str(rng.choice(_MOVING if label != "shake" else ("walking", "loop")))
    )
    params: dict = {"hfov_deg": float(np.degrees(2 * np.arctan(width / 2 / K[0, 0])))}
    if label == "shake":
        c2w = trajectories.TRAJECTORIES[traj](world, T, fps, s)
        amp, freq = float(rng.uniform(2.0, 6.0)), float(rng.uniform(3.0, 8.0))
        c2w = trajectories.add_shake(c2w, fps, s, amplitude_deg=amp, freq_hz=freq)
        frames = np.stack(list(render_frames(world, c2w, K, width, height)))
        params |= {"shake_amplitude_deg": amp, "shake_freq_hz": freq}
    else:
        c2w, frames = _render(world, traj, T, fps, s, K, width, height)
    if label == "watermark":
        frames, p = overlays.watermark(frames, rng)
    elif label == "hud":
        frames, p = overlays.hud(frames, rng)
    elif label == "subtitles":
        frames, p = overlays.subtitles(frames, rng, fps)
    elif label == "too_dark":
        frames, p = overlays.darken(frames, rng)
    elif label == "blurred":
        frames, p = overlays.blur(frames, rng)
    elif label == "scene_cut":
        cut = int(T * rng.uniform(0.3, 0.7))
        other_kind = str(rng.choice(WORLD_KINDS))
        other = (
            make_world(int(rng.integers(2**31)), other_kind)
            if rng.random() < 0.5
            else pool.get(other_kind, rng)
        )
        other_traj = str(rng.choice(_MOVING))
        _, second = _render(other, other_traj, T - cut, fps, s + 1, K, width, height)
        frames = np.concatenate([frames[:cut], second])
        p = {"cut_frame": cut, "second_world_kind": other_kind, "second_trajectory": other_traj}
    else:
        p = {}
    return frames, kind, traj, params | p


def make_defects_set(
    out_dir: str | os.PathLike,
    n_per_class: int,
    seed: int,
    width: int = 320,
    height: int = 180,
    fps: float = 15,
    seconds: float = 4.0,
    classes: tuple[str, ...] = DEFECT_CLASSES,
) -> Path:
    """Write ``n_per_class`` clips per class plus labels.parquet under out_dir; returns the parquet path."""
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    unknown = set(classes) - set(DEFECT_CLASSES)
    if unknown:
        raise ValueError(f"unknown defect classes {sorted(unknown)}; known: {DEFECT_CLASSES}")
    T = int(round(fps * seconds))
    if T < 2:
        raise ValueError(f"clip too short: {seconds} s at {fps} fps")
    out = Path(out_dir)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    pool = _WorldPool(seed)
    rows = []
    for label in classes:
        for k in range(n_per_class):
            item_seed = int(np.random.default_rng([seed, DEFECT_CLASSES.index(label), k]).integers(2**31))
            rng = np.random.default_rng(item_seed)
            frames, kind, traj, params = _make_clip(label, rng, pool, T, fps, width, height)
            rel = f"clips/{label}_{k:04d}.mp4"
            write_mp4(out / rel, frames, fps, threads=1)
            rows.append(
                {
                    "path": rel,
                    "label": label,
                    "seed": item_seed,
                    "world_kind": kind,
                    "trajectory": traj,
                    "params": json.dumps(params, sort_keys=True),
                }
            )
    table = pa.Table.from_pylist(rows, schema=LABELS_SCHEMA)
    path = out / "labels.parquet"
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path
