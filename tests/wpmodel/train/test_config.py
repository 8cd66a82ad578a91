from pathlib import Path

import pytest
import yaml

from wpmodel.dit import count_parameters
from wpmodel.train.config import TrainConfig, load_train_config

CONFIGS = Path(__file__).resolve().parents[3] / "pipelines" / "configs"


def test_yaml_then_overrides_merge_key_by_key(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"train": {"steps": 7, "seed": 3}, "model": {"overrides": {"hidden": 64}}}))
    cfg = load_train_config(p, {"train.steps": 9, "data": {"batch_size": 5}})
    assert (cfg.train.steps, cfg.train.seed, cfg.data.batch_size) == (9, 3, 5)
    assert cfg.model.dit_config().hidden == 64
    assert cfg.train.p_memory == 0.8 and cfg.data.window_latents == 24  # defaults kept
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_unknown_key_names_the_file_and_key(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump({"train": {"stepz": 1}}))
    with pytest.raises(ValueError, match=r"bad\.yaml.*stepz"):
        load_train_config(p)
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_train_config(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match="precision"):
        load_train_config(None, {"train.precision": "fp16"})


def test_presets_load_and_have_the_advertised_sizes():
    tiny = load_train_config(CONFIGS / "train_tiny.yaml")
    big = load_train_config(CONFIGS / "train_1b.yaml")
    n_tiny, n_big = count_parameters(tiny.model.dit_config()), count_parameters(big.model.dit_config())
    print(f"train_tiny DiT {n_tiny / 1e6:.2f}M params, train_1b DiT {n_big / 1e9:.2f}B params")
    assert 1e6 < n_tiny < 3e6
    assert 0.9e9 < n_big < 1.3e9
    assert big.dist.fsdp and big.model.grad_checkpointing and big.optim.lr == 1e-5
