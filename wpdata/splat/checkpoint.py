"""Checkpoints that resume exactly: parameters, optimiser and strategy state, RNG states, step.

Tensors go to ``ckpt_<step>.safetensors``, everything else to ``checkpoint.json`` which names that
file; both are written atomically and the json last, so a run killed at any moment leaves the
previous complete checkpoint in place. A resumed run equals an uninterrupted one bit for bit in the
same process; across processes on CPU this also needs ``MKL_CBWR=COMPATIBLE`` in the environment
(MKL otherwise chooses alignment-dependent kernels, and results differ in the last bits).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save

from manifests.atomic import atomic_write_bytes, atomic_write_text

POINTER = "checkpoint.json"


@dataclass
class TrainState:
    """Everything a run needs beyond the scene and config to continue bit-for-bit."""

    params: torch.nn.ParameterDict
    optimizers: dict[str, torch.optim.Optimizer]
    generator: torch.Generator  # draws the view order
    step: int = 0
    train_seconds: float = 0.0
    strategy_state: dict = field(default_factory=dict)
    order: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int64))  # current epoch
    history: list = field(default_factory=list)  # evaluations so far
    meta: dict = field(default_factory=dict)  # e.g. best training PSNR for the divergence check


def save_checkpoint(out_dir: str | os.PathLike, st: TrainState, keep: int = 2) -> Path:
    """Write the state under ``out_dir``; keeps the newest ``keep`` tensor files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {f"param/{k}": v.detach() for k, v in st.params.items()}
    groups: dict[str, list] = {}
    for name, opt in st.optimizers.items():
        sd = opt.state_dict()
        groups[name] = [{k: v for k, v in g.items() if k != "params"} for g in sd["param_groups"]]
        for pid, s in sd["state"].items():
            for k, v in s.items():
                tensors[f"opt/{name}/{pid}/{k}"] = torch.as_tensor(v)
    strategy_scalars = {}
    for k, v in st.strategy_state.items():
        if isinstance(v, torch.Tensor):
            tensors[f"strategy/{k}"] = v
        else:
            strategy_scalars[k] = v
    tensors["rng/generator"] = st.generator.get_state()
    tensors["rng/global"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng/cuda"] = torch.cuda.get_rng_state()
    tensors["data/order"] = st.order
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    name = f"ckpt_{st.step:08d}.safetensors"
    atomic_write_bytes(out / name, save(tensors))
    meta = {
        "file": name,
        "step": st.step,
        "train_seconds": st.train_seconds,
        "param_groups": groups,
        "strategy_scalars": strategy_scalars,
        "history": st.history,
        "meta": st.meta,
    }
    atomic_write_text(out / POINTER, json.dumps(meta, indent=1) + "\n")
    for old in sorted(out.glob("ckpt_*.safetensors"))[:-keep]:
        if old.name != name:
            old.unlink()
    return out / name


def has_checkpoint(out_dir: str | os.PathLike) -> bool:
    """True when ``out_dir`` holds a complete checkpoint."""
    p = Path(out_dir) / POINTER
    return p.is_file() and (Path(out_dir) / json.loads(p.read_text())["file"]).is_file()


def load_checkpoint(out_dir: str | os.PathLike, device: torch.device) -> tuple[dict, dict[str, torch.Tensor]]:
    """(json metadata, tensors on ``device``) of the latest checkpoint; restore with `restore_state`."""
    meta = json.loads((Path(out_dir) / POINTER).read_text())
    tensors = load_file(str(Path(out_dir) / meta["file"]), device="cpu")
    return meta, {k: (v if k.startswith("rng/") else v.to(device)) for k, v in tensors.items()}


def params_from_checkpoint(tensors: dict[str, torch.Tensor]) -> torch.nn.ParameterDict:
    """The Gaussian parameters stored in a checkpoint."""
    return torch.nn.ParameterDict(
        {
            k[len("param/") :]: torch.nn.Parameter(v.clone())
            for k, v in tensors.items()
            if k.startswith("param/")
        }
    )


def restore_state(st: TrainState, meta: dict, tensors: dict[str, torch.Tensor]) -> TrainState:
    """Load optimiser / strategy / RNG state and counters into ``st`` (params already from the checkpoint)."""
    for name, opt in st.optimizers.items():
        sd = opt.state_dict()
        state: dict[int, dict] = {}
        prefix = f"opt/{name}/"
        for k, v in tensors.items():
            if k.startswith(prefix):
                pid, key = k[len(prefix) :].split("/", 1)
                state.setdefault(int(pid), {})[key] = v.clone()
        groups = [
            {**g, "params": sg["params"]}
            for g, sg in zip(meta["param_groups"][name], sd["param_groups"], strict=True)
        ]
        opt.load_state_dict({"state": state, "param_groups": groups})
    st.strategy_state.update(
        {k[len("strategy/") :]: v.clone() for k, v in tensors.items() if k.startswith("strategy/")}
    )
    st.strategy_state.update(meta.get("strategy_scalars", {}))
    st.generator.set_state(tensors["rng/generator"])
    torch.set_rng_state(tensors["rng/global"])
    if "rng/cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng/cuda"])
    st.order = tensors["data/order"].cpu().clone()
    st.step, st.train_seconds = int(meta["step"]), float(meta["train_seconds"])
    st.history, st.meta = list(meta.get("history", [])), dict(meta.get("meta", {}))
    return st
