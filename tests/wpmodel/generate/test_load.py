"""load_dit: the newest checkpoint of a run, EMA weights by default, the run's config or a given one."""

from __future__ import annotations

import json

import pytest
import torch

from wpmodel.dit.model import WorldPlayDiT
from wpmodel.generate.load import load_dit, resolve_checkpoint
from wpmodel.train.checkpoint import save_checkpoint
from wpmodel.train.config import TrainConfig
from wpmodel.train.ema import EMA

MODEL = {"latent_channels": 4, "hidden": 32, "depth": 1, "heads": 2, "freq_dim": 32, "caption_tokens": 2}


def test_load_dit_prefers_ema_and_the_newest_checkpoint(tmp_path):
    cfg = TrainConfig.from_dict({"model": {"preset": "tiny", "overrides": MODEL}})
    torch.manual_seed(0)
    model = WorldPlayDiT(cfg.model.dit_config())
    ema = EMA(model)
    with torch.no_grad():
        model.patch_embed.weight.fill_(1.0)
        ema.module.patch_embed.weight.fill_(2.0)
    run = tmp_path / "run"
    save_checkpoint(run / "checkpoints", 1, {"dit": WorldPlayDiT(cfg.model.dit_config())}, rng=False)
    save_checkpoint(run / "checkpoints", 2, {"dit": model, "ema": ema}, rng=False)
    (run / "train_config.json").write_text(json.dumps(cfg.to_dict()))

    got, got_cfg, ckpt = load_dit(run)
    assert ckpt.name == "step_00000002" and got_cfg.model.overrides["depth"] == 1
    assert not got.training and bool((got.patch_embed.weight == 2.0).all())
    raw, _, _ = load_dit(ckpt, ema=False)
    assert bool((raw.patch_embed.weight == 1.0).all())

    with pytest.raises(FileNotFoundError, match="no training config"):
        resolve_checkpoint(run, tmp_path / "missing.yaml")
    with pytest.raises(FileNotFoundError, match="no complete step"):
        (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
        resolve_checkpoint(tmp_path / "empty")
