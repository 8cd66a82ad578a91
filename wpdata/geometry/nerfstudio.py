"""nerfstudio / instant-ngp `transforms.json` scenes (OpenGL c2w on disk, OpenCV c2w in memory).

Intrinsics come from the top level or per frame (`w, h, fl_x, fl_y, cx, cy`, optional
`k1 k2 k3 k4 p1 p2`); a missing focal length falls back to `camera_angle_x` / `camera_angle_y`,
a missing principal point to the image centre. Frames whose image file is absent are listed in
`missing` and skipped.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_write_text

from .convention import as_se3, opencv_to_opengl, opengl_to_opencv
from .intrinsics import focal_from_fov, make_K

DISTORTION_KEYS = ("k1", "k2", "k3", "k4", "p1", "p2")


@dataclass
class NerfstudioFrame:
    """One frame: absolute image path, OpenCV c2w, pixel K and its image size and distortion."""

    file_path: str  # as written in the json (relative to it)
    path: Path  # resolved absolute path
    c2w: np.ndarray  # [4, 4] float64 OpenCV
    K: np.ndarray  # [3, 3] float64 pixels
    width: int
    height: int
    distortion: dict[str, float] = field(default_factory=dict)


@dataclass
class NerfstudioScene:
    """Frames with existing images, the frame paths that were missing, and the other top-level keys."""

    frames: list[NerfstudioFrame]
    missing: list[str] = field(default_factory=list)
    root: Path = Path(".")
    extra: dict = field(default_factory=dict)  # e.g. aabb_scale, camera_model, ply_file_path

    @property
    def c2w(self) -> np.ndarray:
        """All frame poses [N, 4, 4] (OpenCV)."""
        return np.stack([f.c2w for f in self.frames]) if self.frames else np.zeros((0, 4, 4))

    @property
    def K(self) -> np.ndarray:
        """All frame intrinsics [N, 3, 3]."""
        return np.stack([f.K for f in self.frames]) if self.frames else np.zeros((0, 3, 3))


def _intrinsics(src: dict, base: dict, where: str) -> tuple[np.ndarray, int, int, dict[str, float]]:
    d = {**base, **src}
    try:
        w, h = int(round(float(d["w"]))), int(round(float(d["h"])))
    except KeyError:
        raise ValueError(f"{where}: image size `w`/`h` missing") from None
    fx, fy = d.get("fl_x"), d.get("fl_y")
    if fx is None and "camera_angle_x" in d:
        fx = focal_from_fov(float(d["camera_angle_x"]), w)
    if fy is None and "camera_angle_y" in d:
        fy = focal_from_fov(float(d["camera_angle_y"]), h)
    fx, fy = (fy if fx is None else fx), (fx if fy is None else fy)
    if fx is None:
        raise ValueError(f"{where}: no focal length (fl_x / fl_y / camera_angle_x)")
    K = make_K(float(fx), float(fy), float(d.get("cx", w / 2.0)), float(d.get("cy", h / 2.0)))
    return K, w, h, {k: float(d[k]) for k in DISTORTION_KEYS if k in d}


def read_nerfstudio(path: str | os.PathLike) -> NerfstudioScene:
    """Read a transforms.json (or the folder holding one) into a NerfstudioScene."""
    path = Path(path)
    if path.is_dir():
        path = path / "transforms.json"
    if not path.is_file():
        raise FileNotFoundError(f"transforms.json not found: {path}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON ({e})") from None
    if not isinstance(meta.get("frames"), list):
        raise ValueError(f"{path}: no `frames` list")
    base = {k: v for k, v in meta.items() if k != "frames"}
    root = path.parent
    frames, missing = [], []
    for i, fr in enumerate(meta["frames"]):
        where = f"{path} frame {i}"
        if "file_path" not in fr or "transform_matrix" not in fr:
            raise ValueError(f"{where}: needs `file_path` and `transform_matrix`")
        img = (root / fr["file_path"]).resolve()
        if not img.is_file():
            missing.append(fr["file_path"])
            continue
        T = np.asarray(fr["transform_matrix"], dtype=np.float64)
        if T.shape == (3, 4):
            T = np.vstack([T, [0.0, 0.0, 0.0, 1.0]])
        K, w, h, dist = _intrinsics(fr, base, where)
        frames.append(
            NerfstudioFrame(fr["file_path"], img, opengl_to_opencv(as_se3(T, where)), K, w, h, dist)
        )
    return NerfstudioScene(frames, missing, root, base)


def write_nerfstudio(path: str | os.PathLike, scene: NerfstudioScene) -> Path:
    """Write a transforms.json (per-frame intrinsics; shared ones hoisted to the top level; atomic)."""
    path = Path(path)
    if path.suffix != ".json":
        path = path / "transforms.json"
    frames = []
    for f in scene.frames:
        d = {
            "file_path": f.file_path,
            "transform_matrix": opencv_to_opengl(f.c2w).tolist(),
            "w": f.width,
            "h": f.height,
            "fl_x": float(f.K[0, 0]),
            "fl_y": float(f.K[1, 1]),
            "cx": float(f.K[0, 2]),
            "cy": float(f.K[1, 2]),
            **f.distortion,
        }
        frames.append(d)
    top = {k: v for k, v in scene.extra.items() if not k.startswith("camera_angle")}
    shared_keys = ("w", "h", "fl_x", "fl_y", "cx", "cy", *DISTORTION_KEYS)
    for k in shared_keys:
        top.pop(k, None)
        vals = {json.dumps(fr.get(k)) for fr in frames}
        if frames and len(vals) == 1 and k in frames[0]:
            top[k] = frames[0][k]
            for fr in frames:
                del fr[k]
    return atomic_write_text(path, json.dumps({**top, "frames": frames}, indent=2) + "\n")
