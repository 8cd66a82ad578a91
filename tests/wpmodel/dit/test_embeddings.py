"""Patch tokens and conditioning embeddings."""

from __future__ import annotations

import torch

from wpmodel.dit.embeddings import SinusoidalMLP, patchify, sinusoidal, unpatchify


def test_patchify_round_trip_and_layout():
    x = torch.arange(1 * 2 * 3 * 4 * 6, dtype=torch.float32).view(1, 2, 3, 4, 6)
    tok = patchify(x, 2, 2)  # [1, 2, 2 * 3, 3 * 4]
    assert tok.shape == (1, 2, 6, 12)
    assert torch.equal(unpatchify(tok, 3, 4, 6, 2, 2), x)
    # token 1 of frame 0 is the patch at rows 0-1, columns 2-3, channels first
    assert torch.equal(tok[0, 0, 1].view(3, 2, 2), x[0, 0, :, 0:2, 2:4])


def test_sinusoidal_distinguishes_labels_and_action_mlp_starts_at_zero():
    e = sinusoidal(torch.arange(81), 64)
    assert e.shape == (81, 64)
    assert torch.cdist(e, e).add(torch.eye(81) * 10).min() > 1e-2  # all 81 labels distinct
    mlp = SinusoidalMLP(16, 64, zero_last=True)
    assert torch.equal(mlp(torch.arange(81)), torch.zeros(81, 16))
    assert SinusoidalMLP(16, 64)(torch.tensor([0.1, 0.2])).abs().max() > 0
