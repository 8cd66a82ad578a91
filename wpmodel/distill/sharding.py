"""FSDP2 in the distiller (``dist.fsdp``): student and critic sharded like ``wp train``'s model, and the
full-tensor state objects their checkpoints save and load (``wpmodel.train.fsdp_state.FullState``).

One difference from ``wp train``: the student's optimizer state is loaded non-strictly. Some student
parameters never receive a gradient -- the caption embedding: caption tokens enter the rollout only
through the KV cache written under no_grad -- so AdamW holds no state for them, which the unsharded
``Optimizer.load_state_dict`` accepts but ``set_optimizer_state_dict`` rejects unless ``strict=False``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from wpmodel.train.dist import DistInfo, wrap_model
from wpmodel.train.fsdp_state import FullState


def shard(model: nn.Module, info: DistInfo, sharded: bool) -> nn.Module:
    """``fully_shard`` per block, then the root (in place), when ``sharded``; the model as is otherwise."""
    return wrap_model(model, info, fsdp=True) if sharded else model


class _LenientOptimState:
    """Full-tensor optimizer state of a sharded model; parameters without state are left without."""

    def __init__(self, model: nn.Module, optim: torch.optim.Optimizer) -> None:
        self.model, self.optim = model, optim

    def state_dict(self) -> dict[str, Any]:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

        opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return get_optimizer_state_dict(self.model, self.optim, options=opts)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

        opts = StateDictOptions(full_state_dict=True, strict=False)
        set_optimizer_state_dict(self.model, self.optim, state, options=opts)


def full_state(model: nn.Module, optim: torch.optim.Optimizer, sharded: bool) -> FullState:
    """``FullState`` of a (possibly sharded) model and its optimizer, optimizer state loaded non-strictly."""
    state = FullState(model, optim, sharded)
    if sharded:
        state.optim = _LenientOptimState(model, optim)
    return state
