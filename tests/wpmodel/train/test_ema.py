from __future__ import annotations

import torch
from torch import nn

from wpmodel.train import EMA


def _model(value: float) -> nn.Module:
    m = nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.fill_(value)
        m.bias.fill_(value)
    return m


def test_ema_math_without_warmup() -> None:
    model = _model(0.0)
    ema = EMA(model, decay=0.9, warmup=False)
    expected = 0.0
    for value in (1.0, 2.0, 3.0):
        with torch.no_grad():
            model.weight.fill_(value)
            model.bias.fill_(value)
        ema.update(model)
        expected = 0.9 * expected + 0.1 * value
        torch.testing.assert_close(ema.module.weight, torch.full((1, 2), expected))
    assert int(ema.num_updates) == 3


def test_ema_warmup_schedule() -> None:
    ema = EMA(_model(0.0), decay=0.999, warmup=True)
    assert ema.current_decay() == 0.1  # (1 + 0) / (10 + 0)
    ema.num_updates.fill_(90)
    assert abs(ema.current_decay() - 91 / 100) < 1e-12
    ema.num_updates.fill_(10**6)
    assert ema.current_decay() == 0.999


def test_swap_copy_to_and_state_dict() -> None:
    model = _model(1.0)
    ema = EMA(model, decay=0.5, warmup=False)
    with torch.no_grad():
        model.weight.fill_(3.0)
    ema.update(model)  # ema weight 2.0, model weight 3.0
    with ema.averaged(model):
        assert torch.equal(model.weight, torch.full((1, 2), 2.0))
    assert torch.equal(model.weight, torch.full((1, 2), 3.0))
    other = EMA(_model(0.0), decay=0.5, warmup=False)
    other.load_state_dict(ema.state_dict())
    assert int(other.num_updates) == 1 and torch.equal(other.module.weight, ema.module.weight)
    ema.copy_to(model)
    assert torch.equal(model.weight, torch.full((1, 2), 2.0))
