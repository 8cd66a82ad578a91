"""Fixtures of the VAE tests: a micro config (fast on CPU) and short clips rendered by wpdata.synth."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpdata.synth import intrinsics, make_world, render_frames, walking
from wpmodel.vae import VAEConfig, VideoVAE

MICRO = VAEConfig(base_channels=4, channel_mult=(1, 2, 2, 2), latent_channels=4, norm_groups=2)


@pytest.fixture
def micro_vae() -> VideoVAE:
    torch.manual_seed(0)
    return VideoVAE(MICRO).eval()


@pytest.fixture(scope="session")
def synth_clips() -> torch.Tensor:
    """Three rendered walks, 9 frames of 32x32 each: [3, 9, 3, 32, 32] float32 in [-1, 1] (loader layout)."""
    world = make_world(seed=3, kind="street", texture_size=64)
    K = intrinsics(32, 32)
    clips = []
    for seed in range(3):
        c2w = walking(world, T=9, fps=8.0, seed=seed)
        frames = np.stack(list(render_frames(world, c2w, K, 32, 32)))  # [9, 32, 32, 3] uint8
        clips.append(torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 127.5 - 1.0)
    return torch.stack(clips)
