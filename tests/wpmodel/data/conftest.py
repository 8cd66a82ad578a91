"""Tiny shards in the documented sample layout (manifests.layout.MEMBERS), written with tarfile.

Frame i of every clip is a flat grey of level ``level(i)`` so a decoded window tells which frames it
holds; latent j of a sample's latent tensor is filled with j; poses walk forward and yaw.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import safetensors.numpy
import torch
from scipy.spatial.transform import Rotation

from manifests.layout import num_latents
from wpdata.video import write_mp4

W, H, C_LAT, D_CAP = 64, 48, 4, 384


def level(i: int) -> int:
    """Grey level of frame i."""
    return 8 + 4 * i


def npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def poses(T: int, seed: int = 0) -> np.ndarray:
    """A forward walk with yaw: c2w [T, 4, 4] float32, not starting at the identity."""
    rng = np.random.default_rng(seed)
    c2w = np.tile(np.eye(4), (T, 1, 1))
    c2w[:, :3, :3] = Rotation.from_euler(
        "y", (np.linspace(0.3, 0.9, T) + rng.normal(0, 0.01, T))[:, None]
    ).as_matrix()
    c2w[:, :3, 3] = np.stack([np.full(T, 2.0), np.zeros(T), 0.1 * np.arange(T)], axis=1)
    return c2w.astype(np.float32)


_MP4_CACHE: dict[tuple, bytes] = {}


def mp4_bytes(T: int, w: int, h: int, tmp: Path) -> bytes:
    """H.264 of T flat frames (frame i at level(i)), near-lossless."""
    if (T, w, h) not in _MP4_CACHE:
        frames = np.stack([np.full((h, w, 3), level(i), np.uint8) for i in range(T)])
        path = write_mp4(tmp / f"clip_{T}_{w}x{h}.mp4", frames, fps=24, crf=0, threads=1)
        _MP4_CACHE[(T, w, h)] = path.read_bytes()
    return _MP4_CACHE[(T, w, h)]


def make_members(
    key: str,
    T: int,
    tmp: Path,
    *,
    w: int = W,
    h: int = H,
    mp4: bool = True,
    latent: bool = True,
    caption: bool = True,
    seed: int = 0,
) -> dict[str, bytes]:
    """Members (suffix -> bytes) of one sample of T frames."""
    L = num_latents(T)
    rng = np.random.default_rng(seed)
    K = np.array([[50.0, 0, w / 2], [0, 50.0, h / 2], [0, 0, 1]], np.float32)
    meta = {"item_id": key, "caption": f"walk {key}", "fps": 24.0, "width": w, "height": h}
    meta |= {"num_frames": T, "num_latents": L, "source": {}, "scores": {}, "provenance": {}}
    m = {
        "c2w.npy": npy(poses(T, seed)),
        "K.npy": npy(K),
        "action.npy": npy(rng.integers(1, 81, L).astype(np.int16)),
        "json": json.dumps(meta).encode(),
    }
    if mp4:
        m["mp4"] = mp4_bytes(T, w, h, tmp)
    tensors = {}
    if latent:
        lat = np.broadcast_to(np.arange(L, dtype=np.float16)[None, :, None, None], (C_LAT, L, h // 8, w // 8))
        tensors["latent"] = np.ascontiguousarray(lat)  # [C, T_lat, h, w]
    if caption:
        tensors["caption_embedding"] = np.full(D_CAP, seed + 1, np.float32)
    if tensors:
        m["latent.safetensors"] = safetensors.numpy.save(tensors)
    return m


def write_tar(path: Path, samples: list[tuple[str, dict[str, bytes]]]) -> Path:
    """A shard: members ``<key>.<suffix>`` in sample order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for key, members in samples:
            for suffix, data in members.items():
                ti = tarfile.TarInfo(f"{key}.{suffix}")
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
    return path


def _shard_set(tmp: Path, n_shards: int, per_shard: int, T: int = 21, **kw) -> tuple[list[Path], list[str]]:
    paths, keys = [], []
    for s in range(n_shards):
        samples = []
        for j in range(per_shard):
            key = f"s{s:02d}_{j:02d}"
            samples.append((key, make_members(key, T, tmp, seed=s * 100 + j, **kw)))
            keys.append(key)
        paths.append(write_tar(tmp / "shards" / f"shard-{s:04d}.tar", samples))
    return paths, keys


def epoch_batches(
    paths: list[str] | str, use_index: bool, batch_size: int = 3, **kw
) -> tuple[list[dict], object]:
    """Every batch of one epoch (latents mode, one rank) and the loader's counts."""
    from wpmodel.data.loader import make_loader

    paths = [paths] if isinstance(paths, str) else paths
    loader = make_loader(paths, batch_size, latents=True, rank=0, world_size=1, use_index=use_index, **kw)
    return list(loader), loader.stats


def assert_same_batches(a: list[dict], b: list[dict]) -> None:
    """Two epochs of batches are equal: same keys, dtypes, shapes and values, contiguous tensors."""
    assert len(a) == len(b) and len(a) > 0
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for k, v in x.items():
            if isinstance(v, torch.Tensor):
                assert v.dtype == y[k].dtype and v.shape == y[k].shape and torch.equal(v, y[k]), k
                assert v.is_contiguous() and y[k].is_contiguous(), k
            else:
                assert v == y[k], k


@pytest.fixture
def kit(tmp_path: Path) -> SimpleNamespace:
    """Shard-building helpers bound to the test's tmp_path:
    ``W, H, C_LAT, D_CAP``, ``level(i)``, ``poses(T, seed)``, ``mp4(T, w=W, h=H) -> bytes``,
    ``sample(key, T, **options) -> members``, ``write_tar(path, [(key, members)])``,
    ``shard_set(n_shards, per_shard, T=21, **options) -> (paths, keys)``, ``tmp``,
    ``batches(paths, use_index, batch_size=3, **loader_options)``, ``assert_same(batches_a, batches_b)``.
    """
    return SimpleNamespace(
        W=W,
        H=H,
        C_LAT=C_LAT,
        D_CAP=D_CAP,
        level=level,
        poses=poses,
        npy=npy,
        tmp=tmp_path,
        mp4=lambda T, w=W, h=H: mp4_bytes(T, w, h, tmp_path),
        sample=lambda key, T, **kw: make_members(key, T, tmp_path, **kw),
        write_tar=write_tar,
        shard_set=lambda *a, **kw: _shard_set(tmp_path, *a, **kw),
        batches=epoch_batches,
        assert_same=assert_same_batches,
    )
