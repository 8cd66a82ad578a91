"""Small shards in the documented sample layout for the trainer's tests, written with wpdata.shards.

Latents-mode samples: random latents [C, T_lat, h, w] with a per-sample pattern, an out-and-back camera
path (walk out along +z, turn around, walk back: revisits for memory retrieval), random action labels
and a caption embedding. ``video=True`` adds a small mp4 of the same length (for on-the-fly VAE tests).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import safetensors.numpy
from scipy.spatial.transform import Rotation

from manifests.layout import num_latents
from wpdata.shards import npy_bytes, write_shard
from wpmodel.train.config import TrainConfig

C_LAT, HW, D_CAP = 4, 4, 384


def out_and_back(T: int) -> np.ndarray:
    """c2w [T, 4, 4] float32: out along +z for ~T/2 frames, a 180-degree turn, back the same way."""
    half = T // 2
    yaw = np.where(np.arange(T) < half, 0.0, np.pi)
    z = np.concatenate([np.linspace(0, 8, half), np.linspace(8, 0, T - half)])
    c2w = np.tile(np.eye(4), (T, 1, 1))
    c2w[:, :3, :3] = Rotation.from_euler("y", yaw[:, None]).as_matrix()
    c2w[:, 2, 3] = z
    return c2w.astype(np.float32)


def make_sample(key: str, T: int, seed: int, video: bytes | None = None, caption: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    L = num_latents(T)
    base = rng.normal(size=(C_LAT, 1, HW, HW))
    lat = (base + 0.3 * rng.normal(size=(C_LAT, L, HW, HW))).astype(np.float32)  # [C, T_lat, h, w]
    tensors = {"latent": lat}
    if caption:
        tensors["caption_embedding"] = rng.normal(size=D_CAP).astype(np.float32)
    K = np.array([[40.0, 0, 32.0], [0, 40.0, 32.0], [0, 0, 1]], np.float32)
    meta = {"item_id": key, "caption": "walk", "fps": 24.0, "width": 64, "height": 64, "num_frames": T}
    meta |= {"num_latents": L, "source": {}, "scores": {}, "provenance": {}}
    m = {
        "c2w.npy": npy_bytes(out_and_back(T)),
        "K.npy": npy_bytes(K),
        "action.npy": npy_bytes(rng.integers(0, 81, L).astype(np.int16)),
        "json": json.dumps(meta).encode(),
        "latent.safetensors": safetensors.numpy.save(tensors),
    }
    if video is not None:
        m["mp4"] = video
    return m


def write_latent_shards(
    folder: Path, n_shards: int = 2, per_shard: int = 4, T_lat: int = 28, seed: int = 0, **kw
) -> list[Path]:
    T = 4 * (T_lat - 1) + 1
    paths = []
    for s in range(n_shards):
        samples = [(f"k{s:02d}_{j:02d}", make_sample(f"k{s:02d}_{j:02d}", T, seed * 1000 + s * 100 + j, **kw))
                   for j in range(per_shard)]  # fmt: skip
        paths.append(write_shard(folder / f"shard-{s:04d}.tar", samples).path)
    return paths


def tiny_config(out_dir: Path, shards, **sections) -> TrainConfig:
    """A TrainConfig small enough for CPU tests (DiT ~30k params, 4x4 latents, 24-latent windows)."""
    d = {
        "model": {"preset": "tiny", "overrides": {"latent_channels": C_LAT, "hidden": 32, "depth": 2,
                                                   "heads": 2, "freq_dim": 32, "caption_tokens": 2}},
        "data": {"shards": [str(p) for p in shards], "window_latents": 24, "latents": True,
                 "batch_size": 2, "shuffle_buffer": 4},
        "optim": {"lr": 1e-3, "warmup_steps": 2},
        "train": {"steps": 6, "log_every": 1, "ckpt_every": 3, "sample_every": 0, "val_every": 0,
                  "ema_decay": 0.9, "out_dir": str(out_dir), "seed": 0},
    }  # fmt: skip
    for name, values in sections.items():
        d[name] = {**d.get(name, {}), **values}
    return TrainConfig.from_dict(d)


@pytest.fixture
def shards(tmp_path: Path) -> list[Path]:
    return write_latent_shards(tmp_path / "shards")


@pytest.fixture
def kit() -> SimpleNamespace:
    return SimpleNamespace(
        write_latent_shards=write_latent_shards, tiny_config=tiny_config, out_and_back=out_and_back,
        make_sample=make_sample, C_LAT=C_LAT, HW=HW,
    )  # fmt: skip
