"""DL3DV scene folders: ``images_N/`` at the chosen factor, ``transforms.json``, ``colmap/sparse/0``.

Poses come from the COLMAP model (``poses="colmap"``, the default when one exists, so that they
share the frame of its sparse points) or from transforms.json (``poses="transforms"``; points from
the COLMAP model are then mapped by the json's ``applied_transform`` when it has one, as nerfstudio
writes it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .data import SceneData
from .errors import SceneError
from .frames import scene_from_frames
from .read_colmap import colmap_frames, image_dir, load_colmap_model
from .read_nerfstudio import read_nerfstudio_scene


def _has_colmap(root: Path) -> bool:
    return any(
        (root / d / f"cameras.{e}").is_file() for d in ("colmap/sparse/0", "sparse/0") for e in ("bin", "txt")
    )


def read_dl3dv(
    path: str | os.PathLike, factor: int = 1, poses: str = "auto", test_every: int = 8
) -> SceneData:
    """A DL3DV folder as SceneData (K scaled to the ``images_N`` size actually on disk)."""
    root = Path(path)
    if poses not in ("auto", "colmap", "transforms"):
        raise ValueError(f"poses must be auto|colmap|transforms, got {poses!r}")
    if poses == "auto":
        poses = "colmap" if _has_colmap(root) else "transforms"
    if poses == "transforms":
        scene = read_nerfstudio_scene(root, factor, test_every, source_format="dl3dv")
        if _has_colmap(root):
            model = load_colmap_model(root)
            meta = json.loads((root / "transforms.json").read_text(encoding="utf-8"))
            A = np.eye(4)
            if "applied_transform" in meta:
                A[: len(meta["applied_transform"])] = np.asarray(meta["applied_transform"], np.float64)
            scene.points = model.xyz @ A[:3, :3].T + A[:3, 3]  # [P, 3]
            scene.point_colors = model.rgb
        return scene
    if not _has_colmap(root):
        raise SceneError(f"{root}: no COLMAP model under colmap/sparse/0 or sparse/0")
    model = load_colmap_model(root)
    folder, prescaled = image_dir(root, factor)
    frames, missing = colmap_frames(model, folder)
    return scene_from_frames(
        frames, factor, "dl3dv", root, prescaled, len(model.images), len(missing),
        points=model.xyz, point_colors=model.rgb, test_every=test_every,
    )  # fmt: skip
