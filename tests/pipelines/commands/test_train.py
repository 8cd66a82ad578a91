"""``wp train``: in process (and resume), under torchrun with 2 processes, and on Ray Train with 2 workers."""

import importlib.util
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipelines.cli import app

_spec = importlib.util.spec_from_file_location(
    "train_kit", Path(__file__).resolve().parents[2] / "wpmodel" / "train" / "conftest.py"
)
kit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kit)


@pytest.fixture
def setup(tmp_path):
    shards = kit.write_latent_shards(tmp_path / "shards")
    cfg = kit.tiny_config(tmp_path / "unused", shards).to_dict()
    cfg["data"]["shards"] = None
    cfg["train"] |= {"ckpt_every": 2, "log_every": 1}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, tmp_path / "shards", tmp_path / "out"


def test_train_in_process_then_resume(setup):
    config, shards, out = setup
    args = ["train", "--config", str(config), "--shards", str(shards), "--out", str(out)]
    r = CliRunner().invoke(app, [*args, "--steps", "2"])
    assert r.exit_code == 0, r.output
    assert "trained to step 2" in r.output and (out / "checkpoints" / "step_00000002").is_dir()
    r = CliRunner().invoke(app, [*args, "--steps", "3", "--set", "optim.lr=0.0005"])
    assert r.exit_code == 0, r.output
    assert "resumed from" in r.output and "trained to step 3" in r.output


def test_train_without_shards_is_a_clear_error(setup):
    config, _, out = setup
    r = CliRunner().invoke(app, ["train", "--config", str(config), "--out", str(out)])
    assert r.exit_code == 2 and "no data.shards" in r.output


@pytest.mark.slow
def test_train_torchrun_two_processes(setup):
    config, shards, out = setup
    args = ["train", "--config", str(config), "--shards", str(shards), "--out", str(out), "--steps", "2"]
    r = CliRunner().invoke(app, [*args, "--nproc", "2"])
    assert r.exit_code == 0, r.output
    assert (out / "checkpoints" / "step_00000002" / "model_dit.safetensors").is_file()


@pytest.mark.slow
def test_train_on_ray_train_two_workers(setup, monkeypatch, tmp_path):
    config, shards, out = setup
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    args = ["train", "--config", str(config), "--shards", str(shards), "--out", str(out), "--steps", "2"]
    r = CliRunner().invoke(app, [*args, "--ray", "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert "Ray Train finished" in r.output and "'step': 2" in r.output
    assert (out / "checkpoints" / "step_00000002" / "model_dit.safetensors").is_file()
