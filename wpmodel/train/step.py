"""One WorldPlay training step on a reader batch: a pure function of (model, batch, generator, config).

1. Latents [B, T_lat, C, h, w]: from the shards (``latents``, already in the diffusion model's space),
   or the batch ``video`` encoded by a frozen VAE (posterior sample, then ``vae.normalize``).
2. Per sample a training window (``wpmodel.memory.sample_training_window``; memory mode with
   probability p_memory): its latents, poses (latent i uses video frame 4i), actions, RoPE time
   indices, chunk ids, loss mask and fixed context noise are gathered. Windows of one batch may differ
   in length: shorter ones are padded at the end with a chunk of their own that no real token can see
   (block-causal) and that the loss ignores.
3. Flow times: one per chunk (logit-normal, shifted), replaced by the window's context noise where it
   has one; x_t = (1 - t) x0 + t eps, target eps - x0.
4. Cameras: viewmats = inv(c2w) (rigid inverse, float64), Ks normalised (``normalize_intrinsics``).
5. Caption: the embedding, zeroed with probability caption_drop or when the sample has none.
6. Loss: per-latent MSE averaged over the loss mask (memory mode: the target chunk only).

Every random draw comes from ``generator`` (a CPU ``torch.Generator``; the window choice from a numpy
generator seeded by it), so a step is reproducible from the generator's seed alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from manifests.layout import FRAMES_PER_LATENT
from wpmodel.data.collate import to_unit_range
from wpmodel.dit.flow import add_noise, flow_loss, sample_chunk_timesteps, velocity_target
from wpmodel.dit.prope import normalize_intrinsics
from wpmodel.memory.window import TrainingWindow, merge_timesteps, sample_training_window
from wpmodel.train.config import TrainConfig


@dataclass
class StepOutput:
    loss: Tensor  # [] float32, differentiable
    per_frame: Tensor  # [B, n] float32 detached per-latent MSE
    loss_mask: Tensor  # [B, n] bool
    t: Tensor  # [B, n] float32 flow times used
    windows: list[TrainingWindow]
    caption_kept: Tensor  # [B] bool: the caption embedding was given (not dropped, not missing)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP wrapper (``.module``), or the model itself."""
    return getattr(model, "module", model)


def rigid_inverse(c2w: Tensor) -> Tensor:
    """[..., 4, 4] rigid c2w -> w2c, in float64 (R^T, -R^T t)."""
    c2w = c2w.to(torch.float64)
    R, t = c2w[..., :3, :3], c2w[..., :3, 3:]
    out = torch.zeros_like(c2w)
    out[..., :3, :3] = R.transpose(-1, -2)
    out[..., :3, 3:] = -R.transpose(-1, -2) @ t
    out[..., 3, 3] = 1.0
    return out


@torch.no_grad()
def encode_video(vae: Any, video: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Video [B, T, 3, H, W] in [-1, 1] (or uint8) -> normalised latents [B, T_lat, C, h, w] float32."""
    if video.dtype == torch.uint8:
        video = to_unit_range(video)
    post = vae.encode(video.permute(0, 2, 1, 3, 4).float())  # posterior over [B, C, t, h, w]
    eps = torch.randn(post.mean.shape, generator=generator, dtype=post.mean.dtype).to(post.mean.device)
    z = vae.normalize(post.mean + post.std * eps)
    return z.permute(0, 2, 1, 3, 4).float().contiguous()


def batch_latents(
    batch: dict[str, Any], vae: Any, device: torch.device, generator: torch.Generator
) -> Tensor:
    """The batch's latents [B, T_lat, C, h, w] float32 on ``device`` (encoded by ``vae`` if the batch has video)."""
    if "latents" in batch:
        return batch["latents"].to(device=device, dtype=torch.float32)
    if "video" not in batch:
        raise KeyError(f"batch has neither 'latents' nor 'video' (keys: {sorted(batch)})")
    if vae is None:
        raise ValueError("batch holds video but no VAE was given: set data.vae_path, or data.latents: true")
    return encode_video(vae, batch["video"].to(device), generator)


def make_windows(
    num_latents: int, c2w_latents: Tensor, cfg: TrainConfig, chunk_latents: int, rng: np.random.Generator
) -> list[TrainingWindow]:
    """One training window per sample; c2w_latents [B, T_lat, 4, 4]."""
    t = cfg.train
    return [
        sample_training_window(
            num_latents,
            c2w.numpy().astype(np.float64),
            rng,
            p_memory=t.p_memory,
            context_latents=t.context_latents,
            target_latents=t.target_latents,
            chunk_latents=chunk_latents,
            schedule_shift=t.timestep_shift,
            time_mode=t.time_mode,
        )  # fmt: skip
        for c2w in c2w_latents
    ]


def gather_windows(
    windows: list[TrainingWindow],
    latents: Tensor,  # [B, T_lat, C, h, w]
    c2w_lat: Tensor,  # [B, T_lat, 4, 4]
    K_lat: Tensor,  # [B, T_lat, 3, 3] pixel
    actions: Tensor,  # [B, T_lat] int
) -> dict[str, Any]:
    """The model inputs of each window, padded to the longest (see the module docstring)."""
    B = len(windows)
    n = max(len(w.indices) for w in windows)
    x0 = latents.new_zeros(B, n, *latents.shape[2:])  # [B, n, C, h, w]
    c2w = torch.eye(4, dtype=torch.float64).repeat(B, n, 1, 1)  # [B, n, 4, 4]
    K = torch.zeros(B, n, 3, 3, dtype=torch.float64)
    acts = torch.zeros(B, n, dtype=torch.int64)
    time_index = torch.zeros(B, n, dtype=torch.float64)
    chunk_id = torch.zeros(B, n, dtype=torch.int64)
    mask = torch.zeros(B, n, dtype=torch.bool)
    noise_t = np.full((B, n), np.nan, dtype=np.float32)
    for b, w in enumerate(windows):
        m = len(w.indices)
        idx = torch.from_numpy(w.indices)
        x0[b, :m] = latents[b, idx.to(latents.device)]
        c2w[b, :m] = c2w_lat[b, idx].to(torch.float64)
        K[b, :m] = K_lat[b, idx].to(torch.float64)
        K[b, m:] = K[b, m - 1]
        acts[b, :m] = actions[b, idx].to(torch.int64)
        time_index[b, :m] = torch.from_numpy(w.time_index).to(torch.float64)
        time_index[b, m:] = torch.arange(m, n, dtype=torch.float64) + float(w.time_index[-1]) + 1 - m
        chunk_id[b, :m] = torch.from_numpy(w.chunk_id)
        chunk_id[b, m:] = int(w.chunk_id[-1]) + 1  # padding: a last chunk nothing real attends to
        mask[b, :m] = torch.from_numpy(w.loss_mask)
        noise_t[b, :m] = w.context_noise_t
    return {
        "x0": x0,
        "viewmats": rigid_inverse(c2w),
        "Ks": normalize_intrinsics(K),
        "actions": acts,
        "time_index": time_index,
        "chunk_id": chunk_id,
        "loss_mask": mask,
        "context_noise_t": noise_t,
    }


def training_step(
    model: nn.Module,
    batch: dict[str, Any],
    generator: torch.Generator,
    cfg: TrainConfig,
    vae: Any = None,
    caption_drop: float | None = None,
) -> StepOutput:
    """Forward pass and flow-matching loss of one batch (no backward; see the module docstring)."""
    dit_cfg = unwrap(model).config
    device = next(unwrap(model).parameters()).device
    chunk = dit_cfg.chunk_latents
    latents = batch_latents(batch, vae, device, generator)  # [B, T_lat, C, h, w]
    B, T_lat = latents.shape[:2]
    c2w_lat = batch["c2w"][:, ::FRAMES_PER_LATENT]  # [B, T_lat, 4, 4] latent i uses frame 4i
    K_lat = batch["K"][:, ::FRAMES_PER_LATENT]  # [B, T_lat, 3, 3]
    if c2w_lat.shape[1] != T_lat or batch["actions"].shape[1] != T_lat:
        raise ValueError(
            f"batch {batch.get('keys', ['?'])[:2]}: {T_lat} latents but {c2w_lat.shape[1]} latent poses "
            f"and {batch['actions'].shape[1]} actions"
        )
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    windows = make_windows(T_lat, c2w_lat, cfg, chunk, np.random.default_rng(seed))
    g = gather_windows(windows, latents, c2w_lat, K_lat, batch["actions"])
    n = g["x0"].shape[1]
    sampled = sample_chunk_timesteps(B, n, chunk, generator, cfg.train.timestep_shift).numpy()
    t = torch.from_numpy(merge_timesteps(sampled, g["context_noise_t"]).astype(np.float32))  # [B, n]
    eps = torch.randn(g["x0"].shape, generator=generator, dtype=torch.float32)
    drop = cfg.train.caption_drop if caption_drop is None else caption_drop
    keep = (torch.rand(B, generator=generator) >= drop) & batch["has_caption"].to(torch.bool)  # [B]
    caption = batch["caption_embedding"].float() * keep[:, None].float()  # [B, D]

    x0, eps, t_dev = g["x0"], eps.to(device), t.to(device)
    x_t = add_noise(x0, eps, t_dev)
    use_bf16 = device.type == "cuda" and cfg.train.precision == "bf16"
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
        pred = model(
            x_t,
            t_dev,
            caption=caption.to(device),
            actions=g["actions"].to(device),
            viewmats=g["viewmats"].to(device=device, dtype=torch.float32),
            Ks=g["Ks"].to(device=device, dtype=torch.float32),
            time_index=g["time_index"].to(device),
            chunk_id=g["chunk_id"].to(device),
        )
    target = velocity_target(x0, eps)
    mask = g["loss_mask"].to(device)
    loss = flow_loss(pred, target, mask)
    per_frame = (pred.detach().float() - target).pow(2).flatten(2).mean(-1)  # [B, n]
    return StepOutput(loss, per_frame, g["loss_mask"], t, windows, keep)
