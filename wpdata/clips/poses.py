"""Poses that came with a source (Sekai ``{stem}.npz``, ViPE ``pose/{stem}.npz``), sliced to a clip.

Written beside the clip as ``<clip_id>.poses.npz``: ``c2w`` [T, 4, 4] float32 OpenCV camera-to-world,
``K`` [T, 3, 3] float32 pixel intrinsics of the exported frames, ``frame_indices`` [T] int64 (frame of
the clip each pose belongs to), ``source_frame_indices`` [T] int64.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_save_npz
from wpdata.geometry import read_sekai_npz, read_vipe


@dataclass
class SourcePoses:
    """Poses of a whole source: ``inds`` [N] source frame indices, ``c2w`` [N, 4, 4], ``K`` [N, 3, 3]."""

    kind: str  # "sekai" | "vipe"
    inds: np.ndarray
    c2w: np.ndarray
    K: np.ndarray


def read_source_poses(path: str | Path) -> SourcePoses:
    """Read a Sekai npz (``extrinsic``/``intrinsic``) or a ViPE ``pose/<name>.npz`` into OpenCV c2w."""
    p = Path(path)
    with np.load(p) as z:
        files = set(z.files)
    if {"extrinsic", "intrinsic"} <= files:
        c2w, K = read_sekai_npz(p)  # [N, 4, 4], [3, 3]
        n = len(c2w)
        return SourcePoses("sekai", np.arange(n, dtype=np.int64), c2w, np.broadcast_to(K, (n, 3, 3)).copy())
    if "data" in files and p.parent.name == "pose":
        inds, c2w, K = read_vipe(p.parent.parent, p.stem)
        return SourcePoses("vipe", np.asarray(inds, np.int64), c2w, K)
    raise ValueError(f"{p}: not a Sekai npz (extrinsic, intrinsic) nor a ViPE pose/<name>.npz (data)")


def slice_poses(poses: SourcePoses, start: int, end: int) -> SourcePoses:
    """The poses of source frames [start, end), re-indexed so clip frame 0 is source frame ``start``.

    Raises ValueError when the poses do not cover the span (a Sekai file shorter than the video).
    """
    keep = (poses.inds >= start) & (poses.inds < end)
    if poses.kind == "sekai" and int(keep.sum()) != end - start:
        raise ValueError(f"poses cover {int(keep.sum())} of the {end - start} frames [{start}, {end})")
    if not keep.any():
        raise ValueError(f"no pose inside frames [{start}, {end})")
    return SourcePoses(poses.kind, poses.inds[keep] - start, poses.c2w[keep], poses.K[keep])


def write_clip_poses(path: str | Path, poses: SourcePoses, start: int) -> Path:
    """Write sliced poses (``inds`` relative to the clip) as ``<clip_id>.poses.npz`` (atomic)."""
    return atomic_save_npz(
        path,
        c2w=poses.c2w.astype(np.float32),
        K=poses.K.astype(np.float32),
        frame_indices=poses.inds.astype(np.int64),
        source_frame_indices=(poses.inds + start).astype(np.int64),
    )
