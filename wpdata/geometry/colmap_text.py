"""COLMAP text model IO (cameras.txt, images.txt, points3D.txt), following COLMAP's own layout."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_write_text

from .colmap_model import (
    ColmapCamera,
    ColmapImage,
    ColmapModel,
    c2w_from_colmap,
    colmap_from_c2w,
    make_camera,
)


def _data_lines(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        raise FileNotFoundError(f"COLMAP model file not found: {path}")
    with open(path, encoding="utf-8") as f:
        return [(i, line.rstrip("\r\n")) for i, line in enumerate(f, start=1)]


def read_cameras_text(path: Path) -> dict[int, ColmapCamera]:
    """cameras.txt -> {camera_id: ColmapCamera}."""
    cams: dict[int, ColmapCamera] = {}
    for lineno, line in _data_lines(path):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        tok = s.split()
        try:
            cams[int(tok[0])] = make_camera(tok[1], int(tok[2]), int(tok[3]), [float(v) for v in tok[4:]])
        except (ValueError, IndexError) as e:
            raise ValueError(f"{path}:{lineno}: bad camera line ({e})") from None
    return cams


def read_images_text(path: Path) -> list[ColmapImage]:
    """images.txt -> images; each image line is followed by its (possibly empty) POINTS2D line."""
    lines = _data_lines(path)
    images: list[ColmapImage] = []
    k = 0
    while k < len(lines):
        lineno, s = lines[k][0], lines[k][1].strip()
        k += 1
        if not s or s.startswith("#"):
            continue
        tok = s.split()
        try:
            qvec = np.array([float(v) for v in tok[1:5]])
            tvec = np.array([float(v) for v in tok[5:8]])
            image_id, camera_id, name = int(tok[0]), int(tok[8]), " ".join(tok[9:])
            if not name:
                raise ValueError("missing image name")
        except (ValueError, IndexError) as e:
            raise ValueError(f"{path}:{lineno}: bad image line ({e})") from None
        pts = lines[k][1].split() if k < len(lines) else []
        k += 1
        if len(pts) % 3:
            raise ValueError(f"{path}:{lineno + 1}: POINTS2D line must hold X Y POINT3D_ID triples")
        arr = np.array(pts, dtype=np.float64).reshape(-1, 3)  # [M, 3]
        images.append(
            ColmapImage(
                image_id,
                name,
                camera_id,
                c2w_from_colmap(qvec, tvec),
                arr[:, :2].copy(),
                arr[:, 2].astype(np.int64),
            )
        )
    return images


def read_points3D_text(path: Path) -> dict[str, object]:
    """points3D.txt -> dict of arrays (point3D_ids, xyz, rgb, error, tracks)."""
    ids, xyz, rgb, err, tracks = [], [], [], [], []
    for lineno, line in _data_lines(path):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        tok = s.split()
        if len(tok) < 8 or (len(tok) - 8) % 2:
            raise ValueError(f"{path}:{lineno}: bad point line (expected 8 + 2 * track_length fields)")
        ids.append(int(tok[0]))
        xyz.append([float(v) for v in tok[1:4]])
        rgb.append([int(v) for v in tok[4:7]])
        err.append(float(tok[7]))
        tracks.append(np.array(tok[8:], dtype=np.int64).reshape(-1, 2))
    return {
        "point3D_ids": np.array(ids, dtype=np.int64),
        "xyz": np.array(xyz, dtype=np.float64).reshape(-1, 3),
        "rgb": np.array(rgb, dtype=np.uint8).reshape(-1, 3),
        "error": np.array(err, dtype=np.float64),
        "tracks": tracks,
    }


def read_colmap_text(model_dir: str | os.PathLike) -> ColmapModel:
    """Read a text model directory (cameras.txt, images.txt, points3D.txt; points optional)."""
    d = Path(model_dir)
    cams = read_cameras_text(d / "cameras.txt")
    images = read_images_text(d / "images.txt")
    pts = read_points3D_text(d / "points3D.txt") if (d / "points3D.txt").is_file() else {}
    model = ColmapModel(cams, images, **pts)
    model.validate()
    return model


def _fmt(v: float) -> str:
    return repr(float(v))


def write_colmap_text(model_dir: str | os.PathLike, model: ColmapModel) -> Path:
    """Write cameras.txt, images.txt and points3D.txt into `model_dir` (each file atomic)."""
    model.validate()
    d = Path(model_dir)
    d.mkdir(parents=True, exist_ok=True)
    cam_lines = [
        "# Camera list with one line of data per camera:",
        "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]",
    ]
    cam_lines += [
        f"{cid} {c.model} {c.width} {c.height} " + " ".join(map(_fmt, c.params))
        for cid, c in model.cameras.items()
    ]
    atomic_write_text(d / "cameras.txt", "\n".join(cam_lines) + "\n")

    img_lines = [
        "# Image list with two lines of data per image:",
        "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME",
        "#   POINTS2D[] as (X, Y, POINT3D_ID)",
    ]
    for im in model.images:
        q, t = colmap_from_c2w(im.c2w)
        img_lines.append(f"{im.image_id} " + " ".join(map(_fmt, [*q, *t])) + f" {im.camera_id} {im.name}")
        img_lines.append(
            " ".join(
                f"{_fmt(x)} {_fmt(y)} {int(p)}" for (x, y), p in zip(im.xys, im.point3D_ids, strict=True)
            )
        )
    atomic_write_text(d / "images.txt", "\n".join(img_lines) + "\n")

    pt_lines = [
        "# 3D point list with one line of data per point:",
        "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[]",
    ]
    tracks = model.tracks or [np.zeros((0, 2), dtype=np.int64)] * len(model.xyz)
    for pid, p, c, e, tr in zip(model.point3D_ids, model.xyz, model.rgb, model.error, tracks, strict=True):
        fields = [str(int(pid)), *map(_fmt, p), *(str(int(v)) for v in c), _fmt(e)]
        fields += [str(int(v)) for v in np.asarray(tr).reshape(-1)]
        pt_lines.append(" ".join(fields))
    atomic_write_text(d / "points3D.txt", "\n".join(pt_lines) + "\n")
    return d
