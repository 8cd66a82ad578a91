"""Full (unsharded) model / optimizer state of a possibly FSDP-sharded model, for checkpoints and EMA.

Checkpoints hold full tensors whatever the parallelism, so a run can resume with another world size or
without FSDP. Under FSDP2 the full state is gathered with ``torch.distributed.checkpoint.state_dict``
(a collective: every rank calls ``gather``; only rank 0 writes). Without sharding these are the model
and optimizer themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from wpmodel.train.dist import full_tensor


def _options():
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, cpu_offload=True)


class _ShardedModelState:
    """``state_dict``/``load_state_dict`` of a sharded model in full tensors."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def state_dict(self) -> dict[str, torch.Tensor]:
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        return get_model_state_dict(self.model, options=_options())

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True) -> None:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

        set_model_state_dict(self.model, state, options=StateDictOptions(full_state_dict=True, strict=strict))


class _ShardedOptimState:
    """``state_dict``/``load_state_dict`` of a sharded model's optimizer in full tensors; ``strict=False``
    accepts parameters with no optimizer state (never given a gradient), as the unsharded load does."""

    def __init__(self, model: nn.Module, optim: torch.optim.Optimizer, strict: bool = True) -> None:
        self.model, self.optim, self.strict = model, optim, strict

    def state_dict(self) -> dict[str, Any]:
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        return get_optimizer_state_dict(self.model, self.optim, options=_options())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

        set_optimizer_state_dict(
            self.model, self.optim, state, options=StateDictOptions(full_state_dict=True, strict=self.strict)
        )


class _Frozen:
    """A state dict gathered beforehand, offered through ``state_dict()``."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state

    def state_dict(self) -> dict[str, Any]:
        return self._state


@dataclass
class Gathered:
    models: dict[str, Any]  # name -> object with state_dict()
    optims: dict[str, Any]


class FullState:
    """The objects a checkpoint saves/loads for ``model`` (possibly DDP- or FSDP-wrapped) and ``optim``."""

    def __init__(
        self, model: nn.Module, optim: torch.optim.Optimizer, sharded: bool, strict_optim: bool = True
    ) -> None:
        self.sharded = sharded
        if sharded:
            self.model: Any = _ShardedModelState(model)
            self.optim: Any = _ShardedOptimState(model, optim, strict_optim)
        else:
            self.model, self.optim = getattr(model, "module", model), optim

    def gather(self) -> Gathered:
        """Full state for a checkpoint; under FSDP a collective that every rank must call."""
        if not self.sharded:
            return Gathered({"dit": self.model}, {"adamw": self.optim})
        return Gathered(
            {"dit": _Frozen(self.model.state_dict())}, {"adamw": _Frozen(self.optim.state_dict())}
        )


class _FullParams:
    """What ``EMA.update`` reads (parameters(), buffers()) with FSDP shards all-gathered."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def parameters(self) -> Iterator[torch.Tensor]:
        return (full_tensor(p.detach()) for p in self.model.parameters())

    def buffers(self) -> Iterator[torch.Tensor]:
        return (full_tensor(b) for b in self.model.buffers())


def ema_source(model: nn.Module, sharded: bool) -> Any:
    """The object to pass to ``EMA.update``: the plain model, or full-tensor views of a sharded one."""
    return _FullParams(model) if sharded else getattr(model, "module", model)
