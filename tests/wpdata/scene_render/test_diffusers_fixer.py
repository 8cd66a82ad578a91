"""DiffusersFixer on a tiny random Stable-Diffusion img2img pipeline built and saved offline (slow: the
diffusers import alone takes ~10-30 s on a shared 2-core machine)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wpdata.scene_render import DiffusersFixer


def _tiny_pipeline(folder: Path) -> Path:
    """A random-weight StableDiffusionImg2ImgPipeline with a hand-written character vocabulary, saved."""
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8, norm_num_groups=4, attention_head_dim=2,
    )  # fmt: skip
    vae = diffusers.AutoencoderKL(
        block_out_channels=(8,), down_block_types=("DownEncoderBlock2D",), up_block_types=("UpDecoderBlock2D",),
        latent_channels=4, norm_num_groups=4, sample_size=32,
    )  # fmt: skip
    cfg = transformers.CLIPTextConfig(
        vocab_size=40, hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
        max_position_embeddings=77, projection_dim=8, bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )  # fmt: skip
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab[c] = len(vocab)
    for c in "abcdefghij":
        vocab[c + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tok = transformers.CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77
    )
    pipe = diffusers.StableDiffusionImg2ImgPipeline(
        vae=vae, text_encoder=transformers.CLIPTextModel(cfg), tokenizer=tok, unet=unet,
        scheduler=diffusers.DDIMScheduler(steps_offset=1, clip_sample=False), safety_checker=None,
        feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    pipe.save_pretrained(folder / "model")
    return folder / "model"


@pytest.mark.slow
def test_diffusers_fixer_loads_a_local_pipeline_and_fills_only_holes(tmp_path: Path) -> None:
    path = _tiny_pipeline(tmp_path)
    frame = np.full((32, 48, 3), 90, np.uint8)
    frame[:, 24:] = 170
    holes = np.zeros((32, 48), bool)
    holes[10:20, 20:30] = True
    frame[holes] = 0
    fixer = DiffusersFixer(str(path), num_inference_steps=2, strength=0.5)
    fixed = fixer(frame, holes, reference=frame)
    assert fixed.shape == frame.shape and fixed.dtype == np.uint8
    np.testing.assert_array_equal(fixed[~holes], frame[~holes])
    assert fixed[holes].std() > 0 or fixed[holes].mean() > 0  # the pipeline's pixels were pasted in
    np.testing.assert_array_equal(fixer(frame, holes), fixed)  # one loaded pipeline, deterministic output
