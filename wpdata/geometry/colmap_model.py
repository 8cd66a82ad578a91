"""In-memory COLMAP sparse model (cameras, images, points3D) in the project's convention.

Images hold OpenCV c2w (COLMAP stores w2c as qvec wxyz + tvec; conversion happens in the readers
and writers via `c2w_from_colmap` / `colmap_from_c2w`). Camera params follow COLMAP's model order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .convention import invert_se3, make_se3
from .quaternion import R_to_quat_wxyz, quat_wxyz_to_R

# name -> (COLMAP model id, number of params, param names)
CAMERA_MODELS: dict[str, tuple[int, tuple[str, ...]]] = {
    "SIMPLE_PINHOLE": (0, ("f", "cx", "cy")),
    "PINHOLE": (1, ("fx", "fy", "cx", "cy")),
    "SIMPLE_RADIAL": (2, ("f", "cx", "cy", "k")),
    "RADIAL": (3, ("f", "cx", "cy", "k1", "k2")),
    "OPENCV": (4, ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2")),
    "OPENCV_FISHEYE": (5, ("fx", "fy", "cx", "cy", "k1", "k2", "k3", "k4")),
    "FULL_OPENCV": (6, ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3", "k4", "k5", "k6")),
    "FOV": (7, ("fx", "fy", "cx", "cy", "omega")),
    "SIMPLE_RADIAL_FISHEYE": (8, ("f", "cx", "cy", "k")),
    "RADIAL_FISHEYE": (9, ("f", "cx", "cy", "k1", "k2")),
    "THIN_PRISM_FISHEYE": (10, ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3", "k4", "sx1", "sy1")),
}
MODEL_BY_ID: dict[int, str] = {mid: name for name, (mid, _) in CAMERA_MODELS.items()}


class ColmapCamera(NamedTuple):
    """A camera as (model, width, height, params); unpacks like a plain tuple."""

    model: str
    width: int
    height: int
    params: np.ndarray  # [P] float64, COLMAP order for `model`

    def K(self) -> np.ndarray:
        """Pixel intrinsic matrix [3, 3] (distortion parameters are not part of K)."""
        p = dict(zip(CAMERA_MODELS[self.model][1], self.params, strict=True))
        fx = p.get("fx", p.get("f"))
        fy = p.get("fy", p.get("f"))
        return np.array([[fx, 0.0, p["cx"]], [0.0, fy, p["cy"]], [0.0, 0.0, 1.0]], dtype=np.float64)

    def distortion(self) -> dict[str, float]:
        """Named distortion parameters of the model (empty for pinhole models)."""
        names = CAMERA_MODELS[self.model][1]
        return {
            n: float(v)
            for n, v in zip(names, self.params, strict=True)
            if n not in ("f", "fx", "fy", "cx", "cy")
        }


def make_camera(model: str, width: int, height: int, params) -> ColmapCamera:
    """Validated ColmapCamera (known model, positive size, right number of params)."""
    model = model.upper()
    if model not in CAMERA_MODELS:
        raise ValueError(f"unknown COLMAP camera model {model!r}; known: {sorted(CAMERA_MODELS)}")
    params = np.asarray(params, dtype=np.float64).reshape(-1)
    expected = len(CAMERA_MODELS[model][1])
    if len(params) != expected:
        raise ValueError(f"COLMAP camera model {model} takes {expected} params, got {len(params)}")
    if int(width) <= 0 or int(height) <= 0:
        raise ValueError(f"COLMAP camera size must be positive, got {width}x{height}")
    return ColmapCamera(model, int(width), int(height), params)


@dataclass
class ColmapImage:
    """A registered image: OpenCV c2w plus its 2D keypoints and their 3D point ids (-1: none)."""

    image_id: int
    name: str
    camera_id: int
    c2w: np.ndarray  # [4, 4] float64 OpenCV camera-to-world
    xys: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # [M, 2] float64 pixels
    point3D_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # [M] int64


@dataclass
class ColmapModel:
    """A COLMAP sparse model; images in file order, points as arrays."""

    cameras: dict[int, ColmapCamera]
    images: list[ColmapImage]
    xyz: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # [P, 3] float64
    rgb: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.uint8))  # [P, 3] uint8
    error: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [P] float64 reprojection error
    point3D_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # [P] int64
    tracks: list[np.ndarray] = field(default_factory=list)  # P x [L, 2] int (image_id, point2D_idx)

    @property
    def points3D(self) -> np.ndarray:
        """Point positions [P, 3] (alias of `xyz`)."""
        return self.xyz

    def c2w(self) -> np.ndarray:
        """All image poses stacked [N, 4, 4] in file order."""
        return np.stack([im.c2w for im in self.images]) if self.images else np.zeros((0, 4, 4))

    def image_by_name(self, name: str) -> ColmapImage:
        """The image called `name` (KeyError with a clear message if absent)."""
        for im in self.images:
            if im.name == name:
                return im
        raise KeyError(f"no image named {name!r} in the COLMAP model")

    def validate(self) -> None:
        """Raise ValueError if images reference unknown cameras or point arrays disagree in length."""
        for im in self.images:
            if im.camera_id not in self.cameras:
                raise ValueError(f"image {im.name!r} references unknown camera_id {im.camera_id}")
        n = len(self.xyz)
        if not (len(self.rgb) == len(self.error) == len(self.point3D_ids) == n):
            raise ValueError("points3D arrays (xyz, rgb, error, point3D_ids) have differing lengths")
        if self.tracks and len(self.tracks) != n:
            raise ValueError(f"points3D has {n} points but {len(self.tracks)} tracks")


def c2w_from_colmap(qvec_wxyz: np.ndarray, tvec: np.ndarray) -> np.ndarray:
    """OpenCV c2w [..., 4, 4] from COLMAP's world-to-camera qvec [..., 4] (wxyz) and tvec [..., 3]."""
    return invert_se3(make_se3(quat_wxyz_to_R(qvec_wxyz), tvec))


def colmap_from_c2w(c2w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COLMAP's (qvec wxyz [..., 4], tvec [..., 3]) world-to-camera from OpenCV c2w [..., 4, 4]."""
    w2c = invert_se3(c2w)
    return R_to_quat_wxyz(w2c[..., :3, :3]), w2c[..., :3, 3]
