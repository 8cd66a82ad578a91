"""``load_scene``: detect a scene folder's format (DL3DV, nerfstudio, COLMAP), read and validate it."""

from __future__ import annotations

import os
from pathlib import Path

from .data import SceneData
from .errors import SceneError
from .read_colmap import read_colmap_scene
from .read_dl3dv import read_dl3dv
from .read_nerfstudio import read_nerfstudio_scene
from .validate import validate_scene

FORMATS = ("dl3dv", "nerfstudio", "colmap")


def detect_format(root: Path) -> str:
    """``dl3dv`` (transforms.json + colmap/), ``nerfstudio`` (transforms.json) or ``colmap`` (a model)."""
    if root.is_file() and root.suffix == ".json":
        return "nerfstudio"
    has_json = (root / "transforms.json").is_file()
    if has_json and (root / "colmap").is_dir():
        return "dl3dv"
    if has_json:
        return "nerfstudio"
    for d in ("sparse/0", "sparse", "colmap/sparse/0", ""):
        if any((root / d / f"cameras.{e}").is_file() for e in ("bin", "txt")):
            return "colmap"
    raise SceneError(f"{root}: not a scene folder (no transforms.json, no COLMAP cameras.bin/.txt)")


def load_scene(
    path: str | os.PathLike, factor: int = 1, fmt: str = "auto", min_images: int = 3, test_every: int = 8
) -> SceneData:
    """Read and validate a scene folder at downscale ``factor``; every ``test_every``-th image held out."""
    root = Path(path)
    if not root.exists():
        raise SceneError(f"scene path does not exist: {root}")
    fmt = detect_format(root) if fmt == "auto" else fmt
    if fmt == "dl3dv":
        scene = read_dl3dv(root, factor, test_every=test_every)
    elif fmt == "nerfstudio":
        scene = read_nerfstudio_scene(root, factor, test_every)
    elif fmt == "colmap":
        scene = read_colmap_scene(root, factor, test_every)
    else:
        raise ValueError(f"unknown scene format {fmt!r}; known: {FORMATS}")
    return validate_scene(scene, min_images)
