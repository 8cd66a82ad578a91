"""User-supplied trajectories: TUM (``t x y z qx qy qz qw``) or KITTI (3x4 rows) files, resampled to fps.

Both formats store OpenCV-style camera-to-world poses (z forward) and are read by wpdata.geometry.
KITTI has no timestamps: a times file (one per line, as KITTI's ``times.txt``) or ``source_fps`` gives
them. Positions are resampled with a cubic spline, rotations with Slerp (scipy).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation, Slerp

from wpdata.geometry import read_kitti, read_tum

__all__ = ["read_trajectory_file", "resample_trajectory", "load_user_trajectory"]


def _guess_format(path: Path) -> str:
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            n = len(fields)
            if n in (8, 12):
                return "tum" if n == 8 else "kitti"
            raise ValueError(f"{path}: {n} numbers per line; expected 8 (TUM) or 12 (KITTI)")
    raise ValueError(f"{path}: no poses")


def read_trajectory_file(
    path: str | os.PathLike,
    fmt: str | None = None,
    source_fps: float = 10.0,
    times_path: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read a TUM or KITTI file (``fmt`` None: by column count) -> (times [N] s, c2w [N, 4, 4] OpenCV)."""
    path = Path(path)
    fmt = fmt or _guess_format(path)
    if fmt == "tum":
        return read_tum(path)
    if fmt != "kitti":
        raise ValueError(f"unknown trajectory format {fmt!r}; expected 'tum' or 'kitti'")
    c2w = read_kitti(path)
    if times_path is not None:
        times = np.loadtxt(times_path, dtype=np.float64).reshape(-1)
        if len(times) != len(c2w):
            raise ValueError(f"{times_path}: {len(times)} times for {len(c2w)} KITTI poses")
    else:
        times = np.arange(len(c2w)) / float(source_fps)
    return times, c2w


def resample_trajectory(times: np.ndarray, c2w: np.ndarray, fps: float) -> np.ndarray:
    """Poses c2w [N, 4, 4] at ``times`` [N] resampled at fps from the first time: [T, 4, 4]."""
    times, c2w = np.asarray(times, np.float64), np.asarray(c2w, np.float64)
    order = np.argsort(times, kind="stable")
    times, c2w = times[order], c2w[order]
    keep = np.concatenate([[True], np.diff(times) > 1e-9])  # drop repeated timestamps
    times, c2w = times[keep], c2w[keep]
    if len(times) < 2:
        raise ValueError("need at least two poses with distinct times")
    t = times[0] + np.arange(int(np.floor((times[-1] - times[0]) * fps + 1e-9)) + 1) / fps  # [T]
    rot = Slerp(times, Rotation.from_matrix(c2w[:, :3, :3]))(t)
    out = np.tile(np.eye(4), (len(t), 1, 1))
    out[:, :3, :3] = rot.as_matrix()
    out[:, :3, 3] = CubicSpline(times, c2w[:, :3, 3], axis=0)(t)
    return out


def load_user_trajectory(
    path: str | os.PathLike, fps: float, fmt: str | None = None, source_fps: float = 10.0,
    times_path: str | os.PathLike | None = None, max_frames: int | None = None,
) -> np.ndarray:  # fmt: skip
    """A TUM / KITTI trajectory file as OpenCV c2w [T, 4, 4] at fps (the first ``max_frames`` if given)."""
    times, c2w = read_trajectory_file(path, fmt, source_fps, times_path)
    out = resample_trajectory(times, c2w, fps)
    return out[:max_frames] if max_frames else out
