"""A tiny woken DiT, a micro VAE and out-and-back camera paths for the streaming-generation tests."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wpmodel.dit import DiTConfig, WorldPlayDiT
from wpmodel.vae import VAEConfig, VideoVAE

C_LAT, HW, D_CAP = 4, 4, 16
K_PIX = np.array([[40.0, 0.0, 16.0], [0.0, 40.0, 16.0], [0.0, 0.0, 1.0]])  # 32x32 pixels
MICRO_VAE = VAEConfig(base_channels=4, channel_mult=(1, 2, 2, 2), latent_channels=C_LAT, norm_groups=2)


def tiny_dit(seed: int = 0, **kw) -> WorldPlayDiT:
    """A ~20k-parameter DiT with every zero-initialised weight woken (else its output is exactly 0 and
    any equality would hold trivially)."""
    cfg = DiTConfig(**{**dict(latent_channels=C_LAT, hidden=32, depth=2, heads=2, caption_dim=D_CAP,
                              caption_tokens=2, freq_dim=32), **kw})  # fmt: skip
    torch.manual_seed(seed)
    model = WorldPlayDiT(cfg).eval()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in model.parameters():
            if bool((p == 0).all()):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    return model


def walk(n: int, z0: float = 0.0, step: float = 0.25) -> np.ndarray:
    """c2w [n, 4, 4] float64 of a camera facing +z and moving ``step`` m per latent along z from z0."""
    c2w = np.tile(np.eye(4), (n, 1, 1))
    c2w[:, 2, 3] = z0 + step * np.arange(n)
    return c2w


def out_and_back(n_out: int, step: float = 0.25) -> np.ndarray:
    """c2w [2 n_out, 4, 4]: out along +z, then back the same way still facing +z (latent n_out + j is
    at the place of latent n_out - 1 - j)."""
    out = walk(n_out, step=step)
    return np.concatenate([out, out[::-1]])


def first_chunk(seed: int = 0) -> torch.Tensor:
    return torch.randn(1, 4, C_LAT, HW, HW, generator=torch.Generator().manual_seed(seed))


def caption(seed: int = 0) -> torch.Tensor:
    return torch.randn(1, D_CAP, generator=torch.Generator().manual_seed(seed + 100))


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above (conftest modules are not importable under --import-mode=importlib)."""
    return SimpleNamespace(
        tiny_dit=tiny_dit, walk=walk, out_and_back=out_and_back, first_chunk=first_chunk, caption=caption,
        K=K_PIX, C=C_LAT, HW=HW, D=D_CAP,
    )  # fmt: skip


@pytest.fixture
def micro_vae() -> VideoVAE:
    torch.manual_seed(0)
    return VideoVAE(MICRO_VAE).eval()


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
