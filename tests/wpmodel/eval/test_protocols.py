"""The short- and long-term protocols with a tiny woken DiT and a micro VAE: trajectory layout, which
generated frame is compared with which ground-truth frame, frame counts and per-frame scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpmodel.dit import DiTConfig, WorldPlayDiT
from wpmodel.eval import (
    EvalClip,
    context_window,
    encode_clip,
    frame_scores,
    long_term,
    out_and_back,
    short_term,
)
from wpmodel.generate import StreamingGenerator
from wpmodel.vae import VAEConfig, VideoVAE


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _tiny_dit() -> WorldPlayDiT:
    cfg = DiTConfig(
        latent_channels=4, hidden=32, depth=2, heads=2, caption_dim=16, caption_tokens=2, freq_dim=32
    )
    torch.manual_seed(0)
    model = WorldPlayDiT(cfg).eval()
    with torch.no_grad():  # wake the zero-initialised layers, else the output is trivially zero
        for p in model.parameters():
            if bool((p == 0).all()):
                p.normal_(0.0, 0.2)
    return model


@pytest.fixture(scope="module")
def kit():
    torch.manual_seed(0)
    vae = VideoVAE(
        VAEConfig(base_channels=4, channel_mult=(1, 2, 2, 2), latent_channels=4, norm_groups=2)
    ).eval()
    L = 12
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (1 + 4 * (L - 1), 32, 32, 3)).astype(np.uint8)
    c2w = np.tile(np.eye(4), (L, 1, 1))
    c2w[:, 2, 3] = 0.1 * np.arange(L)
    K = np.array([[30.0, 0, 16], [0, 30.0, 16], [0, 0, 1]])
    clip = EvalClip("c0", frames, c2w, K, np.r_[0, np.full(L - 1, 9)], torch.zeros(1, 16),
                    encode_clip(vae, frames[:13]))  # fmt: skip
    return vae, _tiny_dit(), clip


def test_out_and_back_goes_out_returns_and_fills_whole_chunks():
    idx = out_and_back(6, 20, 4)
    np.testing.assert_array_equal(idx, [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 4, 3, 2, 1])
    assert len(out_and_back(6, 21, 4)) == 24
    back = out_and_back(12, 3, 4)  # one whole out-and-back at least: 23 steps, 24 with the chunk
    assert len(back) == 24 and back[22] == 0 and back[11] == 11
    with pytest.raises(ValueError):
        out_and_back(4, 20, 4)


def test_short_term_continues_the_clip_and_compares_frame_for_frame(kit):
    vae, model, clip = kit
    gen = StreamingGenerator(model, steps=1, device="cpu")
    run = short_term(gen, vae, clip, short_latents=16)  # the clip has 12 latents: 12 are used
    assert run.frames.shape == (45, 32, 32, 3) and len(gen.records) == 2
    np.testing.assert_array_equal(run.gen_index, np.arange(13, 45))
    np.testing.assert_array_equal(run.gt_index, run.gen_index)
    np.testing.assert_array_equal(gen.actions, clip.actions)  # the clip's own actions
    s = frame_scores(run, clip.frames)
    assert s["psnr"].shape == (32,) and np.isfinite(s["psnr"]).all() and s["lpips"] is None
    same = frame_scores(run, run.frames)
    assert np.isinf(same["psnr"]).all() and np.allclose(same["ssim"], 1.0)
    again = short_term(StreamingGenerator(model, steps=1, device="cpu"), vae, clip, 8)
    np.testing.assert_array_equal(again.frames, run.frames[:29])  # same seed, same chunks


def test_long_term_revisits_places_and_compares_with_their_ground_truth(kit):
    vae, model, clip = kit
    gen = StreamingGenerator(model, steps=1, device="cpu")
    assert context_window(gen) == 24
    seen = []

    def actions(c2w):
        seen.append(c2w)
        return np.full(len(c2w), 18)  # S: walking back

    run = long_term(gen, vae, clip, actions, factor=1.5)  # >= 36 latents
    assert len(run.commanded_c2w) == 36 and run.frames.shape[0] == 1 + 4 * 35
    assert len(seen) == 1 and len(seen[0]) == 36
    np.testing.assert_array_equal(run.gen_index, 4 * np.arange(12, 36))  # after the first out leg
    np.testing.assert_array_equal(run.commanded_c2w[run.gen_index // 4], clip.c2w[run.gt_index // 4])
    np.testing.assert_array_equal(gen.actions[:4], clip.actions[:4])
    assert (gen.actions[4:] == 18).all()
    short_leg = long_term(
        StreamingGenerator(model, steps=1, device="cpu"), vae, clip, actions, 1.0, leg_latents=6
    )
    assert short_leg.commanded_c2w.shape[0] == 24 and short_leg.gen_index[0] == 4 * 6
    np.testing.assert_array_equal(short_leg.gt_index[:5], 4 * np.array([4, 3, 2, 1, 0]))
