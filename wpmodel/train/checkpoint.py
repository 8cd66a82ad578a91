"""Training checkpoints that resume exactly, written atomically and loaded without pickle.

A checkpoint is a folder ``step_%08d`` holding ``model_<name>.safetensors`` per model and
``state.json`` + ``state.safetensors`` for optimizers, schedulers, RNG states (python, numpy, torch CPU
and CUDA) and ``extra`` (``wpmodel.train.state_codec``: tensors to safetensors, the rest to JSON).
It is written under a hidden temporary name and renamed when complete, so any ``step_*`` folder is
whole. ``manifests.atomic`` covers files; a checkpoint is a folder, hence the folder rename here.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch
from safetensors import SafetensorError
from torch import nn

from wpmodel.train.state_codec import decode_state, encode_state

STEP_DIR = re.compile(r"^step_(\d{8,})$")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def rng_state() -> dict[str, Any]:
    """The global RNG states a training step draws from."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": cuda,
    }


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _model_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}


def save_checkpoint(
    directory: str | Path,
    step: int,
    models: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
    schedulers: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    rng: bool = True,
    keep_last: int | None = None,
) -> Path:
    """Write ``directory``/step_%08d atomically and return it; then keep only the ``keep_last`` newest."""
    directory = Path(directory)
    for name in [*models, *(optimizers or {}), *(schedulers or {})]:
        if not _NAME.match(name):
            raise ValueError(f"checkpoint entry name {name!r} must match {_NAME.pattern}")
    final = directory / f"step_{step:08d}"
    tmp = directory / f".{final.name}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir(parents=True)
    try:
        for name, model in models.items():
            safetensors.torch.save_file(_model_state(model), str(tmp / f"model_{name}.safetensors"))
        tensors: dict[str, torch.Tensor] = {}
        tree = {
            "step": int(step),
            "models": sorted(models),
            "optimizers": {
                n: encode_state(o.state_dict(), tensors, f"opt.{n}") for n, o in (optimizers or {}).items()
            },
            "schedulers": {
                n: encode_state(s.state_dict(), tensors, f"sched.{n}") for n, s in (schedulers or {}).items()
            },
            "extra": encode_state(extra or {}, tensors, "extra"),
            "rng": encode_state(rng_state(), tensors, "rng") if rng else None,
        }
        safetensors.torch.save_file(tensors, str(tmp / "state.safetensors"))
        (tmp / "state.json").write_text(json.dumps(tree, sort_keys=True) + "\n", encoding="utf-8")
        if final.exists():  # re-saving a step: move the old one aside, then swap in the new one
            old = directory / f".{final.name}.{uuid.uuid4().hex}.old"
            os.replace(final, old)
            shutil.rmtree(old)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    if keep_last is not None:
        prune_checkpoints(directory, keep_last)
    return final


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Complete checkpoint folders in ``directory``, oldest step first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [
        (int(m.group(1)), p) for p in directory.iterdir() if p.is_dir() and (m := STEP_DIR.match(p.name))
    ]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest complete checkpoint in ``directory``, or None."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def prune_checkpoints(directory: str | Path, keep_last: int) -> list[Path]:
    """Delete all but the ``keep_last`` newest checkpoints; returns what was deleted."""
    if keep_last < 1:
        raise ValueError(f"keep_last must be >= 1, got {keep_last}")
    doomed = list_checkpoints(directory)[:-keep_last]
    for p in doomed:
        shutil.rmtree(p)
    return doomed


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing from the checkpoint")
    try:
        return safetensors.torch.load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"{path}: unreadable safetensors ({exc})") from exc


def load_checkpoint(
    path: str | Path,
    models: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
    schedulers: dict[str, Any] | None = None,
    rng: bool = True,
    strict: bool = True,
) -> tuple[int, dict[str, Any]]:
    """Restore models, optimizers, schedulers (and the RNG states) from ``path``; return (step, extra)."""
    path = Path(path)
    state_json = path / "state.json"
    if not state_json.is_file():
        raise FileNotFoundError(f"{state_json}: missing (not a checkpoint folder)")
    try:
        tree = json.loads(state_json.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{state_json}: not valid JSON ({exc})") from exc
    for name, model in models.items():
        try:
            model.load_state_dict(_load_tensors(path / f"model_{name}.safetensors"), strict=strict)
        except RuntimeError as exc:
            raise ValueError(f"{path}/model_{name}.safetensors does not fit model {name!r}: {exc}") from exc
    tensors = _load_tensors(path / "state.safetensors")
    for kind, objs in (("optimizers", optimizers or {}), ("schedulers", schedulers or {})):
        for name, obj in objs.items():
            if name not in tree[kind]:
                raise KeyError(f"{state_json}: no {kind[:-1]} named {name!r} (has {sorted(tree[kind])})")
            obj.load_state_dict(decode_state(tree[kind][name], tensors))
    if rng and tree.get("rng") is not None:
        set_rng_state(decode_state(tree["rng"], tensors))
    return int(tree["step"]), decode_state(tree["extra"], tensors)
