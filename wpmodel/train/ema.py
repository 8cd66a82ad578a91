"""Exponential moving average of a model's parameters (buffers are copied, not averaged).

An ``nn.Module`` holding a float32 copy of the model, so its ``state_dict`` is plain tensors and a
checkpoint saves it like any model. Decay with warmup (as in timm/diffusers):
``d = min(decay, (1 + n) / (10 + n))`` at update n, so the average follows the model closely early on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class EMA(nn.Module):
    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: bool = True) -> None:
        super().__init__()
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay}")
        self.decay, self.warmup = decay, warmup
        self.module = copy.deepcopy(model).float().eval().requires_grad_(False)
        self.register_buffer("num_updates", torch.zeros((), dtype=torch.int64))

    def current_decay(self) -> float:
        """The decay the next ``update`` applies."""
        n = int(self.num_updates)
        return min(self.decay, (1 + n) / (10 + n)) if self.warmup else self.decay

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """shadow <- d * shadow + (1 - d) * param, for every parameter; buffers copied."""
        d = self.current_decay()
        for ema_p, p in zip(self.module.parameters(), model.parameters(), strict=True):
            ema_p.lerp_(p.detach().to(ema_p.dtype), 1.0 - d)
        for ema_b, b in zip(self.module.buffers(), model.buffers(), strict=True):
            ema_b.copy_(b)
        self.num_updates += 1

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        """Overwrite ``model``'s parameters with the averages."""
        for p, ema_p in zip(model.parameters(), self.module.parameters(), strict=True):
            p.copy_(ema_p.to(p.dtype))

    @torch.no_grad()
    def swap(self, model: nn.Module) -> None:
        """Exchange ``model``'s parameters and the averages (call again to undo; exact, no rounding
        when the model is float32)."""
        for p, ema_p in zip(model.parameters(), self.module.parameters(), strict=True):
            tmp = p.detach().clone()
            p.copy_(ema_p.to(p.dtype))
            ema_p.copy_(tmp.to(ema_p.dtype))

    @contextmanager
    def averaged(self, model: nn.Module) -> Iterator[nn.Module]:
        """``model`` with the averaged parameters inside the block, its own ones restored after."""
        self.swap(model)
        try:
            yield model
        finally:
            self.swap(model)
