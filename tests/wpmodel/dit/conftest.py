"""Small DiT configs, inputs with random cameras, and a helper that wakes zero-initialised weights."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from wpmodel.dit import DiTConfig, WorldPlayDiT


def random_rigid(n: int, generator: torch.Generator, scale: float = 1.0) -> torch.Tensor:
    """n random rigid transforms [n, 4, 4] float64 (proper rotations, translations ~ N(0, scale))."""
    A = torch.randn(n, 3, 3, generator=generator, dtype=torch.float64)
    Q, R = torch.linalg.qr(A)
    Q = Q * torch.sign(torch.diagonal(R, dim1=-2, dim2=-1))[:, None, :]
    Q[torch.linalg.det(Q) < 0, :, 0] *= -1
    T = torch.eye(4, dtype=torch.float64).repeat(n, 1, 1)
    T[:, :3, :3] = Q
    T[:, :3, 3] = scale * torch.randn(n, 3, generator=generator, dtype=torch.float64)
    return T


def small_config(**kw) -> DiTConfig:
    base = dict(latent_channels=4, hidden=32, depth=2, heads=2, caption_dim=24, caption_tokens=2, freq_dim=32)
    return DiTConfig(**{**base, **kw})


def make_inputs(
    cfg: DiTConfig, B: int = 2, L: int = 8, h: int = 8, w: int = 8, seed: int = 0, dtype=torch.float64
):
    """A batch: x [B, L, C, h, w], t [B, L], caption, actions, viewmats (w2c), normalised Ks."""
    g = torch.Generator().manual_seed(seed)
    K = torch.tensor([[0.6, 0.0, 0.5], [0.0, 0.8, 0.5], [0.0, 0.0, 1.0]], dtype=torch.float64)
    return {
        "x": torch.randn(B, L, cfg.latent_channels, h, w, generator=g, dtype=dtype),
        "t": torch.rand(B, L, generator=g, dtype=dtype),
        "caption": torch.randn(B, cfg.caption_dim, generator=g, dtype=dtype),
        "actions": torch.randint(0, cfg.num_actions, (B, L), generator=g),
        "viewmats": random_rigid(B * L, g).reshape(B, L, 4, 4).to(dtype),
        "Ks": K.expand(B, L, 3, 3).to(dtype),
    }


def wake(
    model: WorldPlayDiT, seed: int = 1, std: float = 0.2, keep_zero: tuple[str, ...] = ()
) -> WorldPlayDiT:
    """Give every all-zero parameter random values (except names containing any of ``keep_zero``).

    At initialisation adaLN gates and the final layer are zero, so the model outputs exactly 0 and any
    equality test would pass trivially; waking them makes the mechanisms visible.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if bool((p == 0).all()) and not any(k in name for k in keep_zero):
                p.copy_(std * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return model


def build(cfg: DiTConfig, seed: int = 0, dtype=torch.float64, **wake_kw) -> WorldPlayDiT:
    torch.manual_seed(seed)
    return wake(WorldPlayDiT(cfg).to(dtype).eval(), **wake_kw)


@pytest.fixture
def cfg() -> DiTConfig:
    return small_config()


@pytest.fixture
def dit() -> SimpleNamespace:
    """The helpers above, for tests (conftest is not importable under --import-mode=importlib)."""
    return SimpleNamespace(
        build=build, make_inputs=make_inputs, wake=wake, random_rigid=random_rigid, small_config=small_config
    )


@pytest.fixture(autouse=True)
def _one_thread():
    """These tests run tiny ops where intra-op threads only add overhead (10x on a busy 2-core box)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
