from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from wpmodel.vae import DiffusersVideoVAE, VideoAutoencoder, load_pretrained_vae

diffusers = pytest.importorskip("diffusers")


def _tiny_wan(path: Path) -> torch.nn.Module:
    torch.manual_seed(0)
    model = diffusers.AutoencoderKLWan(
        base_dim=8,
        z_dim=4,
        dim_mult=[1, 2, 2, 2],
        num_res_blocks=1,
        latents_mean=[0.1, 0.2, 0.3, 0.4],
        latents_std=[1.0, 2.0, 4.0, 8.0],
    ).eval()
    model.save_pretrained(path)
    return model


def test_wan_round_trip(tmp_path: Path) -> None:
    model = _tiny_wan(tmp_path / "wan")
    vae = load_pretrained_vae(tmp_path / "wan")
    assert isinstance(vae, DiffusersVideoVAE) and isinstance(vae, VideoAutoencoder)
    assert (vae.kind, vae.latent_channels, vae.temporal_compression, vae.spatial_compression) == (
        "AutoencoderKLWan",
        4,
        4,
        8,
    )
    video = torch.rand(1, 3, 9, 32, 32) * 2 - 1
    with torch.no_grad():
        post = vae.encode(video)
        assert post.mean.shape == (1, 4, 3, 4, 4)
        torch.testing.assert_close(post.mean, model.encode(video).latent_dist.mean)  # same weights loaded
        assert vae.decode(post.mode()).shape == (1, 3, 9, 32, 32)
    z = post.mean
    expected = (z - torch.tensor([0.1, 0.2, 0.3, 0.4]).view(1, 4, 1, 1, 1)) / torch.tensor(
        [1.0, 2, 4, 8]
    ).view(1, 4, 1, 1, 1)
    torch.testing.assert_close(vae.normalize(z), expected)
    torch.testing.assert_close(vae.denormalize(vae.normalize(z)), z)


def test_unknown_class_raises(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"_class_name": "UNet2DModel"}))
    with pytest.raises(ValueError, match="UNet2DModel"):
        load_pretrained_vae(tmp_path)
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_pretrained_vae(tmp_path / "missing")
