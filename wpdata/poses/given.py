"""Poses that came with a clip, read through the `wpdata.geometry` readers into a `PoseTrack`.

Formats (detected from the path and the npz keys):
- ``clip_npz``: our ``<clip_id>.poses.npz`` (``c2w``, ``K``, ``frame_indices``; `wpdata.clips.poses`);
- ``sekai``: an npz with ``extrinsic`` (OpenGL c2w) and ``intrinsic``; pose i belongs to frame i;
- ``vipe``: a ViPE output folder (one ``pose/<name>.npz``) or the ``pose/<name>.npz`` file itself;
- ``nerfstudio``: a ``transforms.json`` (or its folder); clip frame i is the i-th frame with an
  existing image, in file-name order (what decoding that image folder as a video yields).

Intrinsics are rescaled to (width, height). The size they were written for is ``source_size`` when
given, the nerfstudio ``w``/``h``, else inferred from the principal point: a K whose (2 cx, 2 cy) lies
within 10% of (width, height) is taken as already at that size, otherwise as at (2 cx, 2 cy).
Frames without a pose are interpolated (`wpdata.poses.interpolate`); too little coverage is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from wpdata.geometry import as_se3, read_nerfstudio, read_sekai_npz, read_vipe, scale_K

from .interpolate import interpolate_K, interpolate_poses
from .track import PoseTrack


def _detect(path: Path) -> str:
    """Format name of `path` (ValueError when it is none of the known ones)."""
    if path.is_dir():
        if (path / "transforms.json").is_file():
            return "nerfstudio"
        if (path / "pose").is_dir():
            return "vipe"
        raise ValueError(f"{path}: folder holds neither transforms.json nor a ViPE pose/ folder")
    if path.suffix == ".json":
        return "nerfstudio"
    if path.suffix != ".npz":
        raise ValueError(f"{path}: unknown pose file type (expected .npz or transforms.json)")
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
    except Exception as e:  # a truncated or non-zip file
        raise ValueError(f"{path}: unreadable npz ({type(e).__name__}: {e})") from None
    if {"c2w", "K", "frame_indices"} <= keys:
        return "clip_npz"
    if {"extrinsic", "intrinsic"} <= keys:
        return "sekai"
    if "data" in keys and path.parent.name == "pose":
        return "vipe"
    raise ValueError(f"{path}: npz keys {sorted(keys)} match no known pose format (clip, Sekai, ViPE)")


def _read_clip_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        inds = np.asarray(z["frame_indices"], dtype=np.int64).reshape(-1)  # [N]
        c2w = as_se3(z["c2w"], f"{path} c2w")  # [N, 4, 4]
        K = np.asarray(z["K"], dtype=np.float64)  # [N, 3, 3] or [3, 3]
    if c2w.ndim != 3:
        raise ValueError(f"{path}: c2w must be [N, 4, 4], got {c2w.shape}")
    if K.shape == (3, 3):
        K = np.broadcast_to(K, (len(c2w), 3, 3))
    if K.shape != (len(c2w), 3, 3) or len(inds) != len(c2w):
        raise ValueError(f"{path}: c2w {c2w.shape}, K {K.shape} and frame_indices {inds.shape} disagree")
    return inds, c2w, np.array(K)


def _read_vipe(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if path.is_file():
        return read_vipe(path)
    names = sorted(p.stem for p in (path / "pose").glob("*.npz"))
    if len(names) != 1:
        raise ValueError(f"{path}: ViPE folder must hold exactly one pose/<name>.npz, found {names}")
    return read_vipe(path, names[0])


def _read_nerfstudio(path: Path, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scene = read_nerfstudio(path)
    frames = sorted(scene.frames, key=lambda f: f.file_path)
    if not frames:
        raise ValueError(
            f"{path}: no frame with an existing image ({len(scene.missing)} listed, all missing)"
        )
    K = np.stack([scale_K(f.K, width / f.width, height / f.height) for f in frames])  # [N, 3, 3]
    return np.arange(len(frames)), np.stack([f.c2w for f in frames]), K


def _rescale_K(
    K: np.ndarray, width: int, height: int, source_size: tuple[int, int] | None, where: Path
) -> np.ndarray:
    """K [N, 3, 3] written for `source_size` (or the size its principal point implies) at (width, height)."""
    if source_size is None:
        sw, sh = 2.0 * K[0, 0, 2], 2.0 * K[0, 1, 2]
        if sw <= 0 or sh <= 0:
            raise ValueError(
                f"{where}: intrinsics have a non-positive principal point ({K[0, 0, 2]}, {K[0, 1, 2]})"
            )
        if abs(sw - width) <= 0.1 * width and abs(sh - height) <= 0.1 * height:
            return K
    else:
        sw, sh = float(source_size[0]), float(source_size[1])
    sx, sy = width / sw, height / sh
    if abs(sx / sy - 1.0) > 0.05:
        raise ValueError(
            f"{where}: intrinsics are for a {sw:.0f}x{sh:.0f} image, whose aspect differs from the clip's "
            f"{width}x{height} (cropped?); pass source_size"
        )
    return scale_K(K, sx, sy)


def load_given_poses(
    path: str | os.PathLike,
    num_frames: int,
    width: int,
    height: int,
    min_coverage: float = 0.5,
    source_size: tuple[int, int] | None = None,
) -> PoseTrack:
    """A PoseTrack for a clip of `num_frames` frames at (width, height) from a given pose file/folder.

    Raises ValueError naming the file when it is malformed, has poses for frames outside the clip,
    or gives poses for fewer than `min_coverage` of the clip's frames.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"pose file not found: {path}")
    if num_frames < 1:
        raise ValueError(f"{path}: clip must have at least one frame, got {num_frames}")
    kind = _detect(path)
    try:
        if kind == "clip_npz":
            inds, c2w, K = _read_clip_npz(path)
        elif kind == "sekai":
            c2w, K0 = read_sekai_npz(path)
            inds, K = np.arange(len(c2w)), np.broadcast_to(K0, (len(c2w), 3, 3)).copy()
        elif kind == "vipe":
            inds, c2w, K = _read_vipe(path)
        else:
            inds, c2w, K = _read_nerfstudio(path, width, height)
    except (KeyError, ValueError) as e:
        msg = str(e)
        raise ValueError(msg if str(path) in msg else f"{path}: {msg}") from None
    if len(c2w) == 0:
        raise ValueError(f"{path}: holds no poses")
    if kind != "nerfstudio":
        K = _rescale_K(np.asarray(K, np.float64), width, height, source_size, path)
    order = np.argsort(inds, kind="stable")
    inds, c2w, K = inds[order], c2w[order], K[order]
    if np.any(np.diff(inds) == 0):
        raise ValueError(f"{path}: several poses for the same frame")
    if inds[0] < 0 or inds[-1] >= num_frames:
        raise ValueError(
            f"{path}: poses for frames [{inds[0]}, {inds[-1]}] but the clip has {num_frames} frames"
        )
    coverage = len(inds) / num_frames
    if coverage < min_coverage:
        raise ValueError(
            f"{path}: poses cover {len(inds)} of {num_frames} frames ({coverage:.0%} < {min_coverage:.0%})"
        )
    registered = np.zeros(num_frames, dtype=bool)
    registered[inds] = True
    return PoseTrack(
        c2w=interpolate_poses(inds, c2w, num_frames),
        K=interpolate_K(inds, K, num_frames),
        width=width,
        height=height,
        source=kind,
        registered=registered,
        registered_fraction=coverage,
    )
