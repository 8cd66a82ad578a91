"""Fixtures of the distillation tests: out-and-back latent shards (16x16 latents), a woken tiny DiT, and a
tiny teacher run trained by ``wpmodel.train.trainer.train`` (session-scoped: trained once)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import safetensors.numpy
import torch

from manifests.layout import num_latents
from wpdata.shards import npy_bytes, write_shard
from wpmodel.distill.clip import Clip
from wpmodel.dit import DiTConfig, WorldPlayDiT
from wpmodel.train.config import TrainConfig

C_LAT, HW, D_CAP, T_LAT = 4, 16, 16, 32
K_PIX = np.array([[40.0, 0.0, 32.0], [0.0, 40.0, 32.0], [0.0, 0.0, 1.0]])
DIT = dict(latent_channels=C_LAT, patch_size=(1, 4, 4), hidden=32, depth=2, heads=2, caption_dim=D_CAP,
           caption_tokens=2, freq_dim=32)  # fmt: skip


def latent_path(n: int = T_LAT, step: float = 0.5) -> np.ndarray:
    """c2w [n, 4, 4] float64 facing +z: out along +z for n/2 latents, then back (latent n/2 + j at the
    place of latent n/2 - 1 - j): the way back revisits the way out."""
    half = n // 2
    z = step * np.concatenate([np.arange(half), np.arange(half)[::-1]])
    c2w = np.tile(np.eye(4), (n, 1, 1))
    c2w[:, 2, 3] = z
    return c2w


def tiny_dit(seed: int = 0) -> WorldPlayDiT:
    """A ~30k-parameter DiT on 16x16 latents with every zero-initialised weight woken."""
    torch.manual_seed(seed)
    model = WorldPlayDiT(DiTConfig(**DIT))
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in model.parameters():
            if bool((p == 0).all()):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    return model


def make_clip(seed: int = 0, n: int = T_LAT) -> Clip:
    g = torch.Generator().manual_seed(seed)
    lat = torch.randn(1, 1, C_LAT, HW, HW, generator=g) + 0.3 * torch.randn(1, n, C_LAT, HW, HW, generator=g)
    acts = torch.randint(0, 81, (n,), generator=g).numpy()
    return Clip(lat, latent_path(n), K_PIX.copy(), acts, torch.randn(1, D_CAP, generator=g))


def write_shards(folder: Path, clips: int = 4, seed: int = 0, shards: int = 2) -> Path:
    """``shards`` shards of ``clips`` out-and-back clips of T_LAT latents in all (video frames:
    4 (T_LAT - 1) + 1); two shards so that each of two ranks reads one."""
    T = 4 * (T_LAT - 1) + 1
    lat_c2w = latent_path()
    frames = np.tile(np.eye(4), (T, 1, 1))
    frames[:, 2, 3] = np.interp(np.arange(T) / 4.0, np.arange(T_LAT), lat_c2w[:, 2, 3])
    samples = []
    for j in range(clips):
        rng = np.random.default_rng(seed * 100 + j)
        lat = (rng.normal(size=(C_LAT, 1, HW, HW)) + 0.3 * rng.normal(size=(C_LAT, T_LAT, HW, HW))).astype(
            np.float32
        )
        meta = {"item_id": f"c{j}", "caption": "walk", "fps": 24.0, "width": 64, "height": 64, "num_frames": T,
                "num_latents": num_latents(T), "source": {}, "scores": {}, "provenance": {}}  # fmt: skip
        samples.append((f"c{j:03d}", {
            "c2w.npy": npy_bytes(frames.astype(np.float32)), "K.npy": npy_bytes(K_PIX.astype(np.float32)),
            "action.npy": npy_bytes(rng.integers(0, 81, T_LAT).astype(np.int16)),
            "json": json.dumps(meta).encode(),
            "latent.safetensors": safetensors.numpy.save(
                {"latent": lat, "caption_embedding": rng.normal(size=D_CAP).astype(np.float32)}),
        }))  # fmt: skip
    per = -(-clips // shards)
    for i in range(shards):
        write_shard(folder / f"shard-{i:04d}.tar", samples[i * per : (i + 1) * per])
    return folder


@pytest.fixture(scope="session")
def teacher_run(tmp_path_factory) -> SimpleNamespace:
    """Shards and a teacher run folder (train_config.json + checkpoints/) from 3 steps of ``wp train``'s loop."""
    from wpmodel.train.trainer import train

    root = tmp_path_factory.mktemp("distill")
    shards = write_shards(root / "shards")
    cfg = TrainConfig.from_dict({
        "model": {"preset": "tiny", "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in DIT.items()}},
        "data": {"shards": str(shards), "window_latents": 24, "batch_size": 2, "shuffle_buffer": 4},
        "optim": {"lr": 1e-2, "warmup_steps": 1},
        "train": {"steps": 3, "log_every": 1, "ckpt_every": 3, "sample_every": 0, "val_every": 0,
                  "ema_decay": 0.5, "out_dir": str(root / "teacher"), "seed": 0, "device": "cpu"},
    })  # fmt: skip
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(cfg, log=None)
    finally:
        torch.set_num_threads(n)
    return SimpleNamespace(shards=shards, run=root / "teacher", root=root)


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above (conftest modules are not importable under --import-mode=importlib)."""
    return SimpleNamespace(tiny_dit=tiny_dit, make_clip=make_clip, latent_path=latent_path,
                           write_shards=write_shards, K=K_PIX, C=C_LAT, HW=HW, D=D_CAP, T=T_LAT)  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
