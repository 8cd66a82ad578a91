"""nerfstudio / instant-ngp ``transforms.json`` folders: missing image files are skipped and counted.

With a factor N > 1 the ``images_N/`` copies (nerfstudio's and DL3DV's layout) are used when every
frame has one; otherwise the listed images are resized on load. Points come from the json's
``ply_file_path`` when present (open3d reads it); without points the trainer initialises at random.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from wpdata.geometry import read_nerfstudio

from .data import SceneData
from .errors import SceneError
from .frames import Frame, scene_from_frames


def prescaled_path(root: Path, file_path: str, factor: int) -> Path | None:
    """``images_N/<name>`` for a frame listed as ``images/<name>`` when that file exists, else None."""
    parts = Path(file_path).parts
    if factor <= 1 or len(parts) < 2 or parts[-2] != "images":
        return None
    p = root.joinpath(*parts[:-2], f"images_{factor}", parts[-1])
    return p if p.is_file() else None


def _ply_points(root: Path, rel: str | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not rel or not (root / rel).is_file():
        return None, None
    import open3d as o3d  # here, not at the top: a heavy import only .ply point files need

    pcd = o3d.io.read_point_cloud(str(root / rel))
    xyz = np.asarray(pcd.points, np.float64)  # [P, 3]
    rgb = (np.asarray(pcd.colors) * 255).round().astype(np.uint8) if pcd.has_colors() else None
    return xyz, rgb


def read_nerfstudio_scene(
    path: str | os.PathLike, factor: int = 1, test_every: int = 8, source_format: str = "nerfstudio"
) -> SceneData:
    """A transforms.json folder (or the json itself) as SceneData; absent images counted in num_missing."""
    try:
        ns = read_nerfstudio(path)
    except (OSError, ValueError) as e:
        raise SceneError(f"{path}: bad transforms.json ({e})") from None
    small = [prescaled_path(ns.root, f.file_path, factor) for f in ns.frames]
    prescaled = bool(small) and all(p is not None for p in small)
    frames = [
        Frame(s if prescaled else f.path, f.c2w, f.K, f.width, f.height, f.distortion)
        for f, s in zip(ns.frames, small, strict=True)
    ]
    xyz, rgb = _ply_points(ns.root, ns.extra.get("ply_file_path"))
    return scene_from_frames(
        frames, factor, source_format, ns.root, prescaled, len(ns.frames) + len(ns.missing),
        len(ns.missing), points=xyz, point_colors=rgb, test_every=test_every,
    )  # fmt: skip
