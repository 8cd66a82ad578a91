"""Sekai-style camera npz: key `extrinsic` = [N, 4, 4] c2w in OpenGL convention, key `intrinsic`
= [3, 3] pixel K. In memory the project uses OpenCV c2w (flip with diag(1, -1, -1, 1))."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_save_npz

from .convention import as_se3, opencv_to_opengl, opengl_to_opencv


def read_sekai_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a Sekai-style npz -> (c2w [N, 4, 4] OpenCV float64, K [3, 3] float64)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Sekai camera npz not found: {path}")
    with np.load(path) as z:
        for key in ("extrinsic", "intrinsic"):
            if key not in z.files:
                raise ValueError(f"{path}: missing key {key!r}; has {z.files}")
        ext, K = z["extrinsic"], np.asarray(z["intrinsic"], dtype=np.float64)
    c2w = as_se3(ext, f"{path} extrinsic")
    if c2w.ndim != 3:
        raise ValueError(f"{path}: `extrinsic` must be [N, 4, 4], got {c2w.shape}")
    if K.shape != (3, 3):
        raise ValueError(f"{path}: `intrinsic` must be [3, 3], got {K.shape}")
    return opengl_to_opencv(c2w), K


def write_sekai_npz(path: str | os.PathLike, c2w_opencv: np.ndarray, K: np.ndarray) -> Path:
    """Write OpenCV c2w [N, 4, 4] and K [3, 3] as a Sekai-style npz (OpenGL c2w, float32; atomic)."""
    c2w = as_se3(c2w_opencv, "c2w")
    K = np.asarray(K, dtype=np.float64)
    if c2w.ndim != 3 or K.shape != (3, 3):
        raise ValueError(f"write_sekai_npz: need c2w [N, 4, 4] and K [3, 3], got {c2w.shape}, {K.shape}")
    return atomic_save_npz(
        path, extrinsic=opencv_to_opengl(c2w).astype(np.float32), intrinsic=K.astype(np.float32)
    )
