from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from wpmodel.vae import VideoVAE, load_vae, save_vae


def test_save_load_exact(micro_vae: VideoVAE, tmp_path: Path) -> None:
    micro_vae.set_latent_stats(0.25, 1.75)
    save_vae(tmp_path / "vae", micro_vae)
    assert sorted(p.name for p in (tmp_path / "vae").iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_vae(tmp_path / "vae")
    assert loaded.config == micro_vae.config
    for (k, a), (k2, b) in zip(micro_vae.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(a, b)
    video = torch.rand(1, 3, 5, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(micro_vae.encode(video).mean, loaded.encode(video).mean)


def test_same_model_same_bytes(micro_vae: VideoVAE, tmp_path: Path) -> None:
    save_vae(tmp_path / "a", micro_vae)
    save_vae(tmp_path / "b", micro_vae)
    for name in ("config.json", "model.safetensors"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_bad_folders_raise_with_path(micro_vae: VideoVAE, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_vae(tmp_path)
    save_vae(tmp_path / "vae", micro_vae)
    (tmp_path / "vae" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match="model.safetensors"):
        load_vae(tmp_path / "vae")
    save_vae(tmp_path / "vae", micro_vae)
    cfg = json.loads((tmp_path / "vae" / "config.json").read_text())
    cfg["latent_channels"] = 8
    (tmp_path / "vae" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="do not match"):
        load_vae(tmp_path / "vae")
