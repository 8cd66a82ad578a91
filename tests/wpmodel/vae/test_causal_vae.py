from __future__ import annotations

import math

import pytest
import torch

from wpmodel.vae import VideoVAE, vae_config


@pytest.mark.parametrize("T,t_lat", [(1, 1), (5, 2), (17, 5)])
def test_shapes(micro_vae: VideoVAE, T: int, t_lat: int) -> None:
    video = torch.rand(2, 3, T, 32, 24) * 2 - 1
    with torch.no_grad():
        post = micro_vae.encode(video)
        assert post.mean.shape == (2, 4, t_lat, 4, 3)
        assert micro_vae.decode(post.sample()).shape == (2, 3, T, 32, 24)
    assert micro_vae.num_latent_frames(T) == t_lat


@pytest.mark.parametrize("shape", [(1, 3, 4, 32, 32), (1, 3, 5, 30, 32), (1, 4, 5, 32, 32), (3, 5, 32, 32)])
def test_bad_video_shape_raises(micro_vae: VideoVAE, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="video"):
        micro_vae.encode(torch.zeros(shape))


def test_presets_sizes() -> None:
    n = {p: sum(x.numel() for x in VideoVAE(vae_config(p)).parameters()) for p in ("tiny", "base")}
    assert 1e6 <= n["tiny"] <= 3e6
    assert 80e6 <= n["base"] <= 160e6


@pytest.mark.parametrize("t", [1, 4, 5, 9, 12])
def test_encoder_is_causal(micro_vae: VideoVAE, t: int) -> None:
    """Changing video frame t changes no latent before ceil(t / 4), and does change latent ceil(t / 4)."""
    torch.manual_seed(1)
    video = torch.rand(1, 3, 17, 32, 32) * 2 - 1
    changed = video.clone()
    changed[:, :, t] = torch.rand(3, 32, 32) * 2 - 1
    with torch.no_grad():
        a, b = micro_vae.encode(video).mean, micro_vae.encode(changed).mean
    first = math.ceil(t / 4)
    torch.testing.assert_close(a[:, :, :first], b[:, :, :first], rtol=0, atol=1e-6)
    assert (a[:, :, first] - b[:, :, first]).abs().max() > 1e-4


@pytest.mark.parametrize("i", [1, 2, 4])
def test_decoder_is_causal(micro_vae: VideoVAE, i: int) -> None:
    """Changing latent i changes no video frame before 4i - 3 (the frames of latents < i)."""
    torch.manual_seed(2)
    z = torch.randn(1, 4, 5, 4, 4)
    changed = z.clone()
    changed[:, :, i] = torch.randn(4, 4, 4)
    with torch.no_grad():
        a, b = micro_vae.decode(z), micro_vae.decode(changed)
    first = 4 * i - 3
    torch.testing.assert_close(a[:, :, :first], b[:, :, :first], rtol=0, atol=1e-6)
    assert (a[:, :, first] - b[:, :, first]).abs().max() > 1e-4


@pytest.mark.parametrize("chunk", [4, 8])
def test_chunked_encode_matches_whole(micro_vae: VideoVAE, chunk: int) -> None:
    torch.manual_seed(3)
    video = torch.rand(1, 3, 17, 32, 32) * 2 - 1
    with torch.no_grad():
        whole, chunked = micro_vae.encode(video), micro_vae.encode(video, chunk_frames=chunk)
    torch.testing.assert_close(chunked.mean, whole.mean, rtol=0, atol=5e-5)
    torch.testing.assert_close(chunked.logvar, whole.logvar, rtol=0, atol=5e-5)
    with pytest.raises(ValueError, match="multiple of 4"):
        micro_vae.encode(video, chunk_frames=3)


@pytest.mark.parametrize("chunk", [1, 3])
def test_chunked_decode_matches_whole(micro_vae: VideoVAE, chunk: int) -> None:
    torch.manual_seed(4)
    z = torch.randn(1, 4, 5, 4, 4)
    with torch.no_grad():
        whole, chunked = micro_vae.decode(z), micro_vae.decode(z, chunk_latents=chunk)
    assert chunked.shape == whole.shape == (1, 3, 17, 32, 32)
    torch.testing.assert_close(chunked, whole, rtol=0, atol=5e-5)


def test_normalize_round_trip(micro_vae: VideoVAE) -> None:
    micro_vae.set_latent_stats(shift=0.5, scale=2.0)
    z = torch.randn(1, 4, 2, 4, 4)
    torch.testing.assert_close(micro_vae.normalize(z), (z - 0.5) * 2.0)
    torch.testing.assert_close(micro_vae.denormalize(micro_vae.normalize(z)), z)
