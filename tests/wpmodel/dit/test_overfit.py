"""The tiny preset learns: it overfits one fixed batch on the CPU."""

from __future__ import annotations

import pytest
import torch

from wpmodel.dit import DiTConfig, WorldPlayDiT, add_noise, flow_loss, sample_chunk_timesteps, velocity_target


@pytest.mark.slow
def test_tiny_preset_overfits_one_batch(dit):
    torch.manual_seed(0)
    cfg = DiTConfig.preset("tiny")
    model = WorldPlayDiT(cfg)
    g = torch.Generator().manual_seed(0)
    L, hw = 8, 8
    yy, xx = torch.meshgrid(torch.linspace(0, 1, hw), torch.linspace(0, 1, hw), indexing="ij")
    x0 = torch.stack(  # smooth latent-like patterns, different per frame and channel
        [
            torch.sin(3 * (c + 1) * xx + 0.3 * i + c) * torch.cos(2 * yy * (c % 3 + 1))
            for i in range(L)
            for c in range(16)
        ]
    ).view(1, L, 16, hw, hw)
    eps = torch.randn(1, L, 16, hw, hw, generator=g)
    t = sample_chunk_timesteps(1, L, cfg.chunk_latents, g)
    cond = {
        "caption": torch.randn(1, cfg.caption_dim, generator=g),
        "actions": torch.randint(0, 81, (1, L), generator=g),
        "viewmats": dit.random_rigid(L, g).float()[None],
    }
    xt, target = add_noise(x0, eps, t), velocity_target(x0, eps)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    losses = []
    for _ in range(100):
        loss = flow_loss(model(xt, t, **cond), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f"tiny preset overfit: loss {losses[0]:.4f} -> {losses[-1]:.6f} in 100 steps")
    assert losses[-1] < losses[0] / 5
