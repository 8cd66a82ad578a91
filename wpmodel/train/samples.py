"""Sample videos written during training: the first chunk given, the next chunk(s) generated.

Generation is the streaming recipe: the given chunk is written to the model's KV cache at t = 0 (clean),
each new chunk is integrated from noise with Euler steps attending to the cache (``cache_mode="read"``),
then written to the cache clean. With a VAE the latents are decoded; without one (latent shards and no
VAE) the first three latent channels are shown, min-max scaled and upsampled, one frame per latent.
Ground truth on the left, generated on the right; mp4 written atomically with PyAV
(``wpmodel.vae.samples.write_mp4``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from manifests.layout import FRAMES_PER_LATENT
from wpmodel.dit.flow import euler_sample
from wpmodel.dit.prope import normalize_intrinsics
from wpmodel.train.step import rigid_inverse
from wpmodel.vae.samples import to_uint8, write_mp4


@torch.no_grad()
def generate_chunks(
    model: nn.Module,
    latents: Tensor,  # [B, L, C, h, w] ground truth; the first chunk is given
    caption: Tensor,  # [B, D]
    actions: Tensor,  # [B, L] int64
    viewmats: Tensor,  # [B, L, 4, 4] w2c
    Ks: Tensor,  # [B, L, 3, 3] normalised
    chunks: int = 1,
    steps: int = 8,
    shift: float = 3.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Latents [B, c * (1 + chunks), C, h, w]: the given first chunk, then ``chunks`` generated ones."""
    c = model.config.chunk_latents
    chunks = min(chunks, latents.shape[1] // c - 1)
    if chunks < 1:
        raise ValueError(f"need at least 2 chunks of {c} latents to generate one, got {latents.shape[1]}")
    model.eval()
    cache = model.new_cache()
    B, dev = latents.shape[0], latents.device

    def run(x: Tensor, t: Tensor, sl: slice, mode: str, cap: Tensor | None) -> Tensor:
        return model(x, t, cap, actions[:, sl], viewmats[:, sl], Ks[:, sl], kv_cache=cache, cache_mode=mode)

    first = latents[:, :c]
    run(first, torch.zeros(B, c, device=dev), slice(0, c), "write", caption)
    out = [first]
    for k in range(1, chunks + 1):
        sl = slice(k * c, (k + 1) * c)
        noise = torch.randn(first.shape, generator=generator).to(dev)
        x0 = euler_sample(lambda x, t, sl=sl: run(x, t, sl, "read", None), noise, steps, shift)
        run(x0, torch.zeros(B, c, device=dev), sl, "write", None)
        out.append(x0)
    return torch.cat(out, dim=1)


def latent_preview(latents: Tensor, scale: int = 8) -> np.ndarray:
    """[L, C, h, w] -> [L, h * scale, w * scale, 3] uint8 from the first three channels (min-max)."""
    z = latents[:, :3].float()
    if z.shape[1] < 3:
        z = torch.cat([z, z[:, :1].expand(-1, 3 - z.shape[1], -1, -1)], dim=1)
    z = (z - z.min()) / (z.max() - z.min()).clamp_min(1e-6)
    img = (z * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()  # [L, h, w, 3]
    return img.repeat(scale, axis=1).repeat(scale, axis=2)


def decode_frames(latents: Tensor, vae: Any) -> np.ndarray:
    """[L, C, h, w] normalised latents -> [T, H, W, 3] uint8 (VAE decode, or a latent preview)."""
    if vae is None:
        return latent_preview(latents)
    z = vae.denormalize(latents.permute(1, 0, 2, 3)[None].float())  # [1, C, L, h, w]
    return to_uint8(vae.decode(z)[0])


@torch.no_grad()
def write_sample_video(
    path: str | Path,
    model: nn.Module,
    batch: dict[str, Any],
    latents: Tensor,  # [B, T_lat, C, h, w] of the batch (normalised)
    vae: Any = None,
    chunks: int = 1,
    steps: int = 8,
    shift: float = 3.0,
    seed: int = 0,
) -> Path:
    """Generate from the batch's first sample and write ground truth | generated as an mp4."""
    c2w = batch["c2w"][:1, ::FRAMES_PER_LATENT]  # [1, T_lat, 4, 4]
    K = batch["K"][:1, ::FRAMES_PER_LATENT].to(torch.float64)  # [1, T_lat, 3, 3]
    dev = next(model.parameters()).device
    keep = batch["has_caption"][:1].to(torch.float32)[:, None]
    gen = generate_chunks(
        model,
        latents[:1].to(dev),
        (batch["caption_embedding"][:1].float() * keep).to(dev),
        batch["actions"][:1].to(dev, torch.int64),
        rigid_inverse(c2w).to(dev, torch.float32),
        normalize_intrinsics(K).to(dev, torch.float32),
        chunks,
        steps,
        shift,
        torch.Generator().manual_seed(seed),
    )
    n = gen.shape[1]
    truth, fake = latents[0, :n].cpu().float(), gen[0].cpu().float()
    if vae is None:  # one min-max scale for both halves
        return write_mp4(path, latent_preview(torch.cat([truth, fake], dim=-1)), fps=8)
    frames = np.concatenate([decode_frames(truth, vae), decode_frames(fake, vae)], axis=2)
    return write_mp4(path, frames, fps=8 * FRAMES_PER_LATENT)
