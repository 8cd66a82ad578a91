"""Standard 3DGS ``.ply`` (binary little endian, as the INRIA code writes and viewers read).

Properties: x y z, nx ny nz (zeros), f_dc_0..2, f_rest_* (channel-major: all of R, then G, then B),
opacity (logit), scale_0..2 (log), rot_0..3 (wxyz). Written with numpy rather than plyfile (not a
dependency) in the one fixed layout; the file is written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from manifests.atomic import atomic_write_bytes


def _names(n_rest: int) -> list[str]:
    return [
        "x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2",
        *(f"f_rest_{i}" for i in range(n_rest)), "opacity",
        "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3",
    ]  # fmt: skip


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def write_ply(path: str | os.PathLike, params) -> Path:
    """Write Gaussians (``means scales quats opacities sh0 shN`` raw, as in gaussians.py) to ``path``."""
    means = _np(params["means"]).astype(np.float32)  # [N, 3]
    n = len(means)
    sh0 = _np(params["sh0"]).reshape(n, -1, 3)  # [N, 1, 3]
    shN = _np(params["shN"]).reshape(n, -1, 3)  # [N, K-1, 3]
    cols = [
        means,
        np.zeros((n, 3), np.float32),
        sh0.transpose(0, 2, 1).reshape(n, -1),
        shN.transpose(0, 2, 1).reshape(n, -1),
        _np(params["opacities"]).reshape(n, 1),
        _np(params["scales"]).reshape(n, 3),
        _np(params["quats"]).reshape(n, 4),
    ]
    data = np.ascontiguousarray(np.concatenate(cols, 1), dtype="<f4")  # [N, P]
    names = _names(shN.shape[1] * 3)
    header = ["ply", "format binary_little_endian 1.0", f"element vertex {n}"]
    header += [f"property float {name}" for name in names] + ["end_header"]
    return atomic_write_bytes(path, ("\n".join(header) + "\n").encode("ascii") + data.tobytes())


def read_ply(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a 3DGS .ply (float properties, binary little endian) into raw parameter arrays."""
    raw = Path(path).read_bytes()
    end = raw.find(b"end_header\n")
    if not raw.startswith(b"ply") or end < 0:
        raise ValueError(f"{path}: not a PLY file")
    lines = raw[:end].decode("ascii").splitlines()
    if "format binary_little_endian 1.0" not in lines:
        raise ValueError(f"{path}: only binary_little_endian 3DGS .ply files are supported")
    n = next(int(ln.split()[2]) for ln in lines if ln.startswith("element vertex"))
    props = [ln.split() for ln in lines if ln.startswith("property")]
    if any(p[1] != "float" for p in props):
        raise ValueError(f"{path}: expected float properties only")
    names = [p[2] for p in props]
    data = np.frombuffer(raw, "<f4", count=n * len(names), offset=end + len("end_header\n")).reshape(n, -1)
    col = {name: data[:, i] for i, name in enumerate(names)}
    n_rest = sum(name.startswith("f_rest_") for name in names)

    def stack(keys: list[str]) -> np.ndarray:
        return np.stack([col[k] for k in keys], 1) if keys else np.zeros((n, 0), np.float32)

    return {
        "means": stack(["x", "y", "z"]),  # [N, 3]
        "sh0": stack([f"f_dc_{i}" for i in range(3)])[:, None, :],  # [N, 1, 3]
        "shN": stack([f"f_rest_{i}" for i in range(n_rest)]).reshape(n, 3, -1).transpose(0, 2, 1),
        "opacities": col["opacity"].copy(),  # [N]
        "scales": stack([f"scale_{i}" for i in range(3)]),  # [N, 3]
        "quats": stack([f"rot_{i}" for i in range(4)]),  # [N, 4]
    }
