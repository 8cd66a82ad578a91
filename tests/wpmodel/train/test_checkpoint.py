from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from wpmodel.train import EMA, latest_checkpoint, list_checkpoints, load_checkpoint, save_checkpoint


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.8, 0.95))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))
    return model, opt, sched, EMA(model, 0.9)


def _step(model, opt, sched, ema) -> float:
    x = torch.randn(16, 4)  # draws from the global torch RNG: resume must restore it
    loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    ema.update(model)
    return loss.item()


def test_resume_is_exact(tmp_path: Path) -> None:
    model, opt, sched, ema = _setup()
    losses = [_step(model, opt, sched, ema) for _ in range(3)]
    path = save_checkpoint(
        tmp_path, 3, {"m": model, "ema": ema}, {"opt": opt}, {"sched": sched}, {"note": (1, "a")}
    )
    assert path.name == "step_00000003"
    py, npy = random.random(), np.random.rand()
    losses += [_step(model, opt, sched, ema) for _ in range(3)]

    model2, opt2, sched2, ema2 = _setup(seed=123)  # different init and RNG position
    step, extra = load_checkpoint(path, {"m": model2, "ema": ema2}, {"opt": opt2}, {"sched": sched2})
    assert step == 3 and extra == {"note": (1, "a")}
    resumed = [_step(model2, opt2, sched2, ema2) for _ in range(3)]
    assert resumed == losses[3:]
    assert (random.random(), np.random.rand()) == (py, npy)  # python and numpy RNG restored too
    assert opt2.param_groups[0]["betas"] == (0.8, 0.95)
    assert torch.equal(ema2.module[0].weight, ema.module[0].weight)


def test_no_pickle_files_and_same_bytes(tmp_path: Path) -> None:
    model, opt, sched, ema = _setup()
    _step(model, opt, sched, ema)
    a = save_checkpoint(tmp_path / "a", 1, {"m": model}, {"opt": opt}, {"sched": sched}, rng=False)
    b = save_checkpoint(tmp_path / "b", 1, {"m": model}, {"opt": opt}, {"sched": sched}, rng=False)
    names = sorted(p.name for p in a.iterdir())
    assert names == ["model_m.safetensors", "state.json", "state.safetensors"]
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes()
    state = json.loads((a / "state.json").read_text())
    assert state["optimizers"]["opt"]["param_groups"][0]["betas"] == {"__tuple__": [0.8, 0.95]}


def test_keep_last_latest_and_overwrite(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    assert latest_checkpoint(tmp_path) is None
    for step in (5, 10, 15, 20):
        save_checkpoint(tmp_path, step, {"m": model}, keep_last=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000015", "step_00000020"]
    (tmp_path / ".step_00000025.deadbeef.tmp").mkdir()  # an interrupted save is never "latest"
    assert latest_checkpoint(tmp_path).name == "step_00000020"
    save_checkpoint(tmp_path, 20, {"m": nn.Linear(2, 2)})  # re-saving a step replaces it
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000015", "step_00000020"]
    fresh = nn.Linear(2, 2)
    load_checkpoint(tmp_path / "step_00000020", {"m": fresh})
    assert not torch.equal(fresh.weight, model.weight)


def test_errors_name_the_file(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="extra.fn"):
        save_checkpoint(tmp_path, 1, {"m": model}, extra={"fn": print})
    assert list_checkpoints(tmp_path) == [] and not any(tmp_path.iterdir())  # nothing half-written left
    path = save_checkpoint(tmp_path, 1, {"m": model})
    with pytest.raises(ValueError, match="model_m.safetensors"):
        load_checkpoint(path, {"m": nn.Linear(3, 2)})
    with pytest.raises(FileNotFoundError, match="model_other.safetensors"):
        load_checkpoint(path, {"other": model})
    with pytest.raises(FileNotFoundError, match="state.json"):
        load_checkpoint(tmp_path, {"m": model})
