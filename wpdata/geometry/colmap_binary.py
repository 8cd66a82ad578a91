"""COLMAP binary model IO (cameras.bin, images.bin, points3D.bin), little-endian as COLMAP writes it.

Written with `struct`/numpy rather than pycolmap so reading needs no reconstruction object and
returns the project's convention directly; the tests check it against pycolmap's own writer.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_write_bytes

from .colmap_model import (
    CAMERA_MODELS,
    MODEL_BY_ID,
    ColmapCamera,
    ColmapImage,
    ColmapModel,
    c2w_from_colmap,
    colmap_from_c2w,
    make_camera,
)


class _Reader:
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"COLMAP model file not found: {path}")
        self.path = path
        self.buf = path.read_bytes()
        self.pos = 0

    def read(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.buf):
            raise ValueError(f"{self.path}: truncated file (need {size} bytes at offset {self.pos})")
        out = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += size
        return out

    def array(self, dtype: np.dtype, count: int) -> np.ndarray:
        dtype = np.dtype(dtype)
        size = dtype.itemsize * count
        if self.pos + size > len(self.buf):
            raise ValueError(f"{self.path}: truncated file (need {size} bytes at offset {self.pos})")
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos).copy()
        self.pos += size
        return out

    def cstring(self) -> str:
        end = self.buf.find(b"\x00", self.pos)
        if end < 0:
            raise ValueError(f"{self.path}: unterminated image name at offset {self.pos}")
        s = self.buf[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return s


def read_cameras_binary(path: Path) -> dict[int, ColmapCamera]:
    """cameras.bin -> {camera_id: ColmapCamera}."""
    r = _Reader(path)
    cams: dict[int, ColmapCamera] = {}
    for _ in range(r.read("Q")[0]):
        cam_id, model_id, width, height = r.read("iiQQ")
        if model_id not in MODEL_BY_ID:
            raise ValueError(f"{path}: unsupported COLMAP camera model id {model_id}")
        name = MODEL_BY_ID[model_id]
        params = r.array(np.dtype("<f8"), len(CAMERA_MODELS[name][1]))
        cams[cam_id] = make_camera(name, width, height, params)
    return cams


_POINT2D = np.dtype([("x", "<f8"), ("y", "<f8"), ("id", "<i8")])
_TRACK = np.dtype([("image_id", "<i4"), ("point2D_idx", "<i4")])


def read_images_binary(path: Path) -> list[ColmapImage]:
    """images.bin -> images in file order."""
    r = _Reader(path)
    images: list[ColmapImage] = []
    for _ in range(r.read("Q")[0]):
        image_id, qw, qx, qy, qz, tx, ty, tz, camera_id = r.read("I7dI")
        name = r.cstring()
        pts = r.array(_POINT2D, r.read("Q")[0])
        c2w = c2w_from_colmap(np.array([qw, qx, qy, qz]), np.array([tx, ty, tz]))
        xys = np.stack([pts["x"], pts["y"]], axis=1)  # [M, 2]
        images.append(ColmapImage(image_id, name, camera_id, c2w, xys, pts["id"].astype(np.int64)))
    return images


def read_points3D_binary(path: Path) -> dict[str, object]:
    """points3D.bin -> dict of arrays (point3D_ids, xyz, rgb, error, tracks)."""
    r = _Reader(path)
    n = r.read("Q")[0]
    ids = np.zeros(n, dtype=np.int64)
    xyz = np.zeros((n, 3))
    rgb = np.zeros((n, 3), dtype=np.uint8)
    err = np.zeros(n)
    tracks: list[np.ndarray] = []
    for k in range(n):
        pid, x, y, z, cr, cg, cb, e, length = r.read("Q3d3BdQ")
        ids[k], xyz[k], rgb[k], err[k] = pid, (x, y, z), (cr, cg, cb), e
        tr = r.array(_TRACK, length)
        tracks.append(np.stack([tr["image_id"], tr["point2D_idx"]], axis=1).astype(np.int64))  # [L, 2]
    return {"point3D_ids": ids, "xyz": xyz, "rgb": rgb, "error": err, "tracks": tracks}


def read_colmap_binary(model_dir: str | os.PathLike) -> ColmapModel:
    """Read a binary model directory (cameras.bin, images.bin, points3D.bin; points optional)."""
    d = Path(model_dir)
    cams = read_cameras_binary(d / "cameras.bin")
    images = read_images_binary(d / "images.bin")
    pts = read_points3D_binary(d / "points3D.bin") if (d / "points3D.bin").is_file() else {}
    model = ColmapModel(cams, images, **pts)
    model.validate()
    return model


def write_colmap_binary(model_dir: str | os.PathLike, model: ColmapModel) -> Path:
    """Write cameras.bin, images.bin and points3D.bin into `model_dir` (each file atomic)."""
    model.validate()
    d = Path(model_dir)
    d.mkdir(parents=True, exist_ok=True)
    b = io.BytesIO()
    b.write(struct.pack("<Q", len(model.cameras)))
    for cid, c in model.cameras.items():
        b.write(struct.pack("<iiQQ", cid, CAMERA_MODELS[c.model][0], c.width, c.height))
        b.write(np.asarray(c.params, dtype="<f8").tobytes())
    atomic_write_bytes(d / "cameras.bin", b.getvalue())

    b = io.BytesIO()
    b.write(struct.pack("<Q", len(model.images)))
    for im in model.images:
        q, t = colmap_from_c2w(im.c2w)
        b.write(struct.pack("<I7dI", im.image_id, *q, *t, im.camera_id))
        b.write(im.name.encode("utf-8") + b"\x00")
        pts = np.zeros(len(im.point3D_ids), dtype=_POINT2D)
        pts["x"], pts["y"], pts["id"] = im.xys[:, 0], im.xys[:, 1], im.point3D_ids
        b.write(struct.pack("<Q", len(pts)) + pts.tobytes())
    atomic_write_bytes(d / "images.bin", b.getvalue())

    b = io.BytesIO()
    b.write(struct.pack("<Q", len(model.xyz)))
    tracks = model.tracks or [np.zeros((0, 2), dtype=np.int64)] * len(model.xyz)
    for pid, p, c, e, tr in zip(model.point3D_ids, model.xyz, model.rgb, model.error, tracks, strict=True):
        tr = np.asarray(tr).reshape(-1, 2)
        b.write(struct.pack("<Q3d3BdQ", int(pid), *p, *(int(v) for v in c), float(e), len(tr)))
        b.write(tr.astype("<i4").tobytes())
    atomic_write_bytes(d / "points3D.bin", b.getvalue())
    return d
