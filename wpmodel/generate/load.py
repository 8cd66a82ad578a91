"""Load a trained WorldPlayDiT for generation from a run folder or one checkpoint folder.

A run folder (``train.out_dir``) holds ``train_config.json`` and ``checkpoints/step_*``; the newest
complete checkpoint is used. A checkpoint folder's config is its run's ``train_config.json``
(``<run>/checkpoints/step_*``) unless a config file is given. The EMA weights (``model_ema``) are used
when the checkpoint has them and ``ema`` is true, else the raw weights (``model_dit``). Weights are read
from safetensors only (``wpmodel.train.checkpoint.load_checkpoint``: no pickle).
"""

from __future__ import annotations

from pathlib import Path

import torch

from wpmodel.dit.model import WorldPlayDiT
from wpmodel.train.checkpoint import latest_checkpoint, load_checkpoint
from wpmodel.train.config import TrainConfig, load_train_config
from wpmodel.train.ema import EMA


def resolve_checkpoint(path: str | Path, config: str | Path | None = None) -> tuple[Path, Path]:
    """(checkpoint folder, config file) of a run folder or a checkpoint folder."""
    path = Path(path)
    if (path / "checkpoints").is_dir():
        ckpt, run = latest_checkpoint(path / "checkpoints"), path
        if ckpt is None:
            raise FileNotFoundError(f"{path}/checkpoints: no complete step_* checkpoint")
    elif (path / "state.json").is_file():
        ckpt, run = path, path.parent.parent
    else:
        raise FileNotFoundError(f"{path}: neither a run folder (checkpoints/) nor a checkpoint (state.json)")
    cfg = Path(config) if config is not None else run / "train_config.json"
    if not cfg.is_file():
        raise FileNotFoundError(f"{cfg}: no training config; pass the run's train YAML (--config)")
    return ckpt, cfg


def load_dit(
    path: str | Path,
    config: str | Path | None = None,
    ema: bool = True,
    device: str | torch.device = "cpu",
) -> tuple[WorldPlayDiT, TrainConfig, Path]:
    """(model in eval mode on ``device``, its TrainConfig, the checkpoint folder used)."""
    ckpt, cfg_path = resolve_checkpoint(path, config)
    cfg = load_train_config(cfg_path)
    model = WorldPlayDiT(cfg.model.dit_config())
    if ema and (ckpt / "model_ema.safetensors").is_file():
        avg = EMA(model)
        load_checkpoint(ckpt, {"ema": avg}, rng=False)
        avg.copy_to(model)
    else:
        load_checkpoint(ckpt, {"dit": model}, rng=False)
    return model.to(device).eval(), cfg, ckpt
