"""ViPE outputs: `pose/<name>.npz` (key `data` = [N, 4, 4] OpenCV c2w, `inds` = [N] frame indices)
and `intrinsics/<name>.npz` (key `data` = [N, 4] fx, fy, cx, cy)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_save_npz

from .convention import as_se3
from .intrinsics import make_K


def _load(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"ViPE file not found: {path}")
    with np.load(path) as z:
        absent = [k for k in keys if k not in z.files]
        if absent:
            raise ValueError(f"{path}: missing key(s) {absent}; has {z.files}")
        return {k: z[k] for k in z.files}


def read_vipe(root: str | os.PathLike, name: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read ViPE results for video `name` under `root` -> (inds [N] int64, c2w [N, 4, 4], K [N, 3, 3]).

    `root` may instead be the `pose/<name>.npz` file itself (then `name` is left out).
    """
    root = Path(root)
    if name is None:
        if root.suffix != ".npz" or root.parent.name != "pose":
            raise ValueError(f"read_vipe: give (root, name) or a pose/<name>.npz path, got {root}")
        root, name = root.parent.parent, root.stem
    pose = _load(root / "pose" / f"{name}.npz", ("data",))
    c2w = as_se3(pose["data"], f"{name} pose")  # [N, 4, 4]
    if c2w.ndim != 3:
        raise ValueError(f"{name}: ViPE pose data must be [N, 4, 4], got {c2w.shape}")
    inds = np.asarray(pose.get("inds", np.arange(len(c2w))), dtype=np.int64)
    intr = np.asarray(_load(root / "intrinsics" / f"{name}.npz", ("data",))["data"], dtype=np.float64)
    if intr.ndim == 1:
        intr = np.broadcast_to(intr, (len(c2w), 4))
    if intr.shape != (len(c2w), 4) or len(inds) != len(c2w):
        raise ValueError(
            f"{name}: ViPE intrinsics {intr.shape} / inds {inds.shape} do not match {len(c2w)} poses"
        )
    K = np.stack([make_K(*row) for row in intr]) if len(intr) else np.zeros((0, 3, 3))
    return inds, c2w, K


def write_vipe(
    root: str | os.PathLike, name: str, c2w: np.ndarray, K: np.ndarray, inds: np.ndarray | None = None
) -> Path:
    """Write ViPE-layout pose and intrinsics npz files (float32) for video `name`; returns `root`."""
    root = Path(root)
    c2w = as_se3(c2w, "c2w")
    K = np.asarray(K, dtype=np.float64)
    if K.shape == (3, 3):
        K = np.broadcast_to(K, (len(c2w), 3, 3))
    if c2w.ndim != 3 or K.shape != (len(c2w), 3, 3):
        raise ValueError(
            f"write_vipe: need c2w [N, 4, 4] and K [N, 3, 3] or [3, 3], got {c2w.shape}, {K.shape}"
        )
    inds = np.arange(len(c2w)) if inds is None else np.asarray(inds, dtype=np.int64)
    intr = np.stack([K[:, 0, 0], K[:, 1, 1], K[:, 0, 2], K[:, 1, 2]], axis=1)  # [N, 4]
    atomic_save_npz(root / "pose" / f"{name}.npz", data=c2w.astype(np.float32), inds=inds)
    atomic_save_npz(root / "intrinsics" / f"{name}.npz", data=intr.astype(np.float32))
    return root
