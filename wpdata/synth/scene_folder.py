"""DL3DV-style scene folders rendered from a synthetic world, with an exact COLMAP model.

Layout: ``images/frame_00001.png ...``, ``images_2/``, ``images_4/``, ``images_8/`` (cv2.INTER_AREA
downscales), nerfstudio ``transforms.json`` (OpenGL c2w on disk) and ``colmap/sparse/0/`` text model
(PINHOLE camera; 3D points back-projected from rendered depth, tracks by exact reprojection plus a
depth test). The folder is built under a temporary sibling name and renamed when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from wpdata.geometry import (
    ColmapImage,
    ColmapModel,
    NerfstudioFrame,
    NerfstudioScene,
    make_camera,
    write_colmap_text,
    write_nerfstudio,
)
from wpdata.synth.cameras import project
from wpdata.synth.render import NEAR, render
from wpdata.synth.world import World

__all__ = ["write_dl3dv_scene", "sample_surface_points", "DOWNSCALES"]

DOWNSCALES = (2, 4, 8)


def _write_png(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f"could not write image {path}")


def sample_surface_points(
    c2w: np.ndarray,
    K: np.ndarray,
    rgbs: list[np.ndarray],
    depths: list[np.ndarray],
    n_points: int,
    seed: int,
    max_views: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Back-project random pixel centres with exact depth from up to ``max_views`` views: (xyz [P, 3], rgb [P, 3])."""
    rng = np.random.default_rng(seed)
    views = np.unique(np.linspace(0, len(c2w) - 1, min(max_views, len(c2w))).round().astype(int))
    per_view = -(-n_points // len(views))
    xyz, rgb = [], []
    for v in views:
        ys, xs = np.nonzero(np.isfinite(depths[v]))
        if len(ys) == 0:
            continue
        pick = rng.choice(len(ys), min(per_view, len(ys)), replace=False)
        ys, xs = ys[pick], xs[pick]
        z = depths[v][ys, xs].astype(np.float64)
        rays = np.stack(
            [(xs + 0.5 - K[0, 2]) / K[0, 0], (ys + 0.5 - K[1, 2]) / K[1, 1], np.ones(len(xs))], -1
        )
        xyz.append((rays * z[:, None]) @ c2w[v, :3, :3].T + c2w[v, :3, 3])
        rgb.append(rgbs[v][ys, xs])
    if not xyz:
        return np.zeros((0, 3)), np.zeros((0, 3), np.uint8)
    return np.concatenate(xyz)[:n_points], np.concatenate(rgb)[:n_points]


def _colmap_model(c2w, K, width, height, names, xyz, rgb, depths, rel_tol: float = 0.01) -> ColmapModel:
    """Tracks: every view where a point projects inside the image and matches the rendered depth."""
    images, seen_count = [], np.zeros(len(xyz), np.int64)
    for i in range(len(c2w)):
        xy, z = project(K, c2w[i], xyz)
        inside = (z > NEAR) & (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
        idx = np.nonzero(inside)[0]
        px = np.floor(xy[idx]).astype(int)
        idx = idx[np.abs(depths[i][px[:, 1], px[:, 0]] - z[idx]) <= rel_tol * z[idx]]
        seen_count[idx] += 1
        images.append(ColmapImage(i + 1, names[i], 1, c2w[i], xy[idx], idx.astype(np.int64)))
    keep = seen_count >= 2
    new_id = np.full(len(xyz), -1, np.int64)
    new_id[keep] = np.arange(1, keep.sum() + 1)  # 1-based ids of points seen at least twice
    tracks: list[list[tuple[int, int]]] = [[] for _ in range(int(keep.sum()))]
    for im in images:
        ids = new_id[im.point3D_ids]
        im.xys, im.point3D_ids = im.xys[ids > 0], ids[ids > 0]
        for k, pid in enumerate(im.point3D_ids):
            tracks[pid - 1].append((im.image_id, k))
    cam = make_camera("PINHOLE", width, height, [K[0, 0], K[1, 1], K[0, 2], K[1, 2]])
    n = int(keep.sum())
    return ColmapModel(
        {1: cam},
        images,
        xyz[keep],
        rgb[keep].astype(np.uint8),
        np.zeros(n),
        np.arange(1, n + 1, dtype=np.int64),
        [np.array(t, np.int64) for t in tracks],
    )


def write_dl3dv_scene(
    out_dir: str | os.PathLike,
    world: World,
    c2w: np.ndarray,
    K: np.ndarray,
    width: int,
    height: int,
    n_points: int = 3000,
    seed: int = 0,
) -> Path:
    """Render ``c2w`` [N, 4, 4] (OpenCV) at width x height and write a DL3DV scene folder; returns it."""
    c2w = np.asarray(c2w, np.float64)
    K = np.asarray(K, np.float64)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or len(c2w) < 2:
        raise ValueError(f"write_dl3dv_scene needs c2w [N >= 2, 4, 4], got {c2w.shape}")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        names = [f"frame_{i + 1:05d}.png" for i in range(len(c2w))]
        for sub in ("images", *(f"images_{s}" for s in DOWNSCALES)):
            (tmp / sub).mkdir()
        rgbs, depths = [], []
        for i, pose in enumerate(c2w):
            rgb, depth = render(world, pose, K, width, height)  # [H, W, 3] uint8, [H, W] float32
            rgbs.append(rgb)
            depths.append(depth)
            _write_png(tmp / "images" / names[i], rgb)
            for s in DOWNSCALES:
                small = cv2.resize(
                    rgb, (max(width // s, 1), max(height // s, 1)), interpolation=cv2.INTER_AREA
                )
                _write_png(tmp / f"images_{s}" / names[i], small)
        frames = [
            NerfstudioFrame(f"images/{n}", tmp / "images" / n, p, K, width, height)
            for n, p in zip(names, c2w, strict=True)
        ]
        write_nerfstudio(tmp / "transforms.json", NerfstudioScene(frames, extra={"camera_model": "OPENCV"}))
        xyz, rgb = sample_surface_points(c2w, K, rgbs, depths, n_points, seed)
        write_colmap_text(
            tmp / "colmap" / "sparse" / "0", _colmap_model(c2w, K, width, height, names, xyz, rgb, depths)
        )
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
