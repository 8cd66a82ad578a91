"""Write one render: repaired mp4, c2w / K npy and the top-down plot; return its ``renders`` row.

Files, beside each other in ``out_dir`` and named by the render id: ``<id>.mp4`` (H.264 via
wpdata.video), ``<id>.c2w.npy`` (T x 4 x 4 float32, OpenCV), ``<id>.K.npy`` (3 x 3 float32),
``<id>.png`` (the plot). A render is dropped ("too_many_holes", no video written) when more than
``max_bad_fraction`` of its frames have a hole share above ``frame_hole_limit``; the row keeps its
hole statistics either way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_path
from manifests.ids import render_id as make_render_id
from wpdata.camera_paths import Reachable, Trajectory, plot_trajectory
from wpdata.scene_render.holes import hole_masks
from wpdata.scene_render.repair import Fixer, InpaintFixer, repair_frames
from wpdata.video.encode import write_mp4

__all__ = ["RenderLimits", "TOO_MANY_HOLES", "write_render"]

TOO_MANY_HOLES = "too_many_holes"


@dataclass(frozen=True)
class RenderLimits:
    """Hole thresholds: alpha below ``hole_threshold`` is a hole; see the module docstring."""

    hole_threshold: float = 0.5
    repair_above: float = 0.002  # frames with a larger hole share are repaired
    frame_hole_limit: float = 0.25  # a frame with a larger hole share is bad
    max_bad_fraction: float = 0.1  # more bad frames than this drops the render


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, array)


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path, root)


def write_render(
    out_dir: str | os.PathLike,
    scene_id: str,
    trajectory: Trajectory,
    frames: np.ndarray,
    alpha: np.ndarray,
    K: np.ndarray,
    limits: RenderLimits = RenderLimits(),
    fixer: Fixer | None = None,
    manifest_dir: str | os.PathLike | None = None,
    region: Reachable | None = None,
    points: np.ndarray | None = None,
    render_seconds: float | None = None,
    references: np.ndarray | None = None,
) -> dict:
    """Repair and write frames [T, H, W, 3] uint8 (alpha [T, H, W]) along ``trajectory``; the ``renders`` row.

    Paths in the row are relative to ``manifest_dir`` (default ``out_dir``); the plot is drawn when
    ``region`` and ``points`` are given.
    """
    out = Path(out_dir)
    root = Path(manifest_dir) if manifest_dir is not None else out
    rid = make_render_id(scene_id, trajectory.kind, trajectory.seed)
    T, H, W = frames.shape[:3]
    if len(trajectory.c2w) != T or alpha.shape != (T, H, W):
        raise ValueError(f"{T} frames, {len(trajectory.c2w)} poses and alpha {list(alpha.shape)} disagree")
    holes = hole_masks(alpha, limits.hole_threshold)  # [T, H, W]
    share = holes.reshape(T, -1).mean(axis=1)  # [T]
    row = {
        "render_id": rid, "scene_id": scene_id, "trajectory_kind": trajectory.kind, "seed": int(trajectory.seed),
        "num_frames": T, "fps": float(trajectory.fps), "width": W, "height": H,
        "video_path": None, "c2w_path": None, "K_path": None,
        "revisit_fraction": float(trajectory.revisit_fraction), "min_clearance": float(trajectory.min_clearance),
        "hole_fraction_mean": float(share.mean()), "hole_fraction_max": float(share.max()),
        "repaired_frames": 0, "render_seconds": render_seconds,
        "status": "ok", "drop_reasons": [], "error": None,
    }  # fmt: skip
    if region is not None and points is not None:
        plot_trajectory(
            out / f"{rid}.png", region, points, trajectory.c2w, trajectory.revisit_mask, trajectory.fps
        )
    if (share > limits.frame_hole_limit).mean() > limits.max_bad_fraction:
        row.update(status="dropped", drop_reasons=[TOO_MANY_HOLES])
        return row
    fixed, repaired = repair_frames(frames, holes, fixer or InpaintFixer(), limits.repair_above, references)
    video = write_mp4(out / f"{rid}.mp4", fixed, trajectory.fps, threads=1)
    _save_npy(out / f"{rid}.c2w.npy", np.asarray(trajectory.c2w, np.float32))
    _save_npy(out / f"{rid}.K.npy", np.asarray(K, np.float32))
    row.update(
        video_path=_rel(video, root), c2w_path=_rel(out / f"{rid}.c2w.npy", root),
        K_path=_rel(out / f"{rid}.K.npy", root), repaired_frames=int(repaired.sum()),
    )  # fmt: skip
    return row
