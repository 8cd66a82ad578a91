"""Sekai-style clips rendered from a synthetic world: ``{video_id}_{start}_{end}.mp4`` + pose npz files.

``end`` is exclusive (``end = start + T``). Next to the H.264 clip: ``{stem}.npz`` in the Sekai
layout (``extrinsic`` [T, 4, 4] OpenGL c2w, ``intrinsic`` [3, 3] pixel K) and ``{stem}.gt.npz`` with the
exact ground truth in the project convention (``c2w`` OpenCV float64, ``K``, ``fps``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_save_npz
from wpdata.geometry import write_sekai_npz
from wpdata.synth.render import render
from wpdata.synth.world import World
from wpdata.video import write_mp4

__all__ = ["write_sekai_clip", "render_frames", "clip_stem"]


def clip_stem(video_id: str, start_frame: int, num_frames: int) -> str:
    """Sekai clip name ``{video_id}_{start}_{end}`` (end exclusive)."""
    if "/" in video_id or not video_id:
        raise ValueError(f"bad video_id {video_id!r}")
    return f"{video_id}_{start_frame}_{start_frame + num_frames}"


def render_frames(
    world: World, c2w: np.ndarray, K: np.ndarray, width: int, height: int
) -> Iterator[np.ndarray]:
    """Yield rendered RGB frames [H, W, 3] uint8 for each pose of c2w [T, 4, 4]."""
    for pose in c2w:
        yield render(world, pose, K, width, height)[0]


def write_sekai_clip(
    out_dir: str | os.PathLike,
    world: World,
    c2w: np.ndarray,
    K: np.ndarray,
    width: int,
    height: int,
    fps: float,
    video_id: str,
    start_frame: int = 0,
    frames=None,
) -> Path:
    """Render (or take ``frames`` [T, H, W, 3]) and write the clip mp4, Sekai npz and gt npz; returns the mp4."""
    c2w = np.asarray(c2w, np.float64)
    K = np.asarray(K, np.float64)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or len(c2w) == 0:
        raise ValueError(f"write_sekai_clip needs c2w [T, 4, 4], got {c2w.shape}")
    out = Path(out_dir)
    stem = clip_stem(video_id, start_frame, len(c2w))
    src = render_frames(world, c2w, K, width, height) if frames is None else frames
    mp4 = write_mp4(out / f"{stem}.mp4", src, fps, threads=1)
    write_sekai_npz(out / f"{stem}.npz", c2w, K)
    atomic_save_npz(
        out / f"{stem}.gt.npz",
        c2w=c2w,
        K=K,
        fps=np.float64(fps),
        width=np.int64(width),
        height=np.int64(height),
    )
    return mp4
