"""Train the causal video VAE: a loop a reader can hold in their head (nanoGPT-style).

Data is any iterable of dicts with ``video`` [B, T, 3, H, W] in [-1, 1] (the shard reader's layout;
uint8 is accepted too), or a callable ``epoch -> iterable``; an object with ``set_epoch`` (the shard
``Loader``) is told the epoch before each pass. Resume is exact: a checkpoint stores the model, EMA,
optimizer, scheduler, RNG states and the position in the epoch; the batches already used in that
epoch are skipped on resume, so a deterministic data source gives the same loss sequence as an
uninterrupted run. Outputs under ``out_dir``: checkpoints/, tb/ (tensorboard), samples/, vae/ (EMA
weights, ``load_vae``), train_config.json.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from manifests.atomic import atomic_write_text
from wpmodel.data.collate import to_unit_range
from wpmodel.train.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from wpmodel.train.ema import EMA
from wpmodel.vae.causal_vae import VideoVAE
from wpmodel.vae.io import save_vae
from wpmodel.vae.losses import vae_loss
from wpmodel.vae.samples import write_reconstruction
from wpmodel.vae.train_config import TrainVAEConfig

DataSource = Iterable[dict[str, Any]] | Callable[[int], Iterable[dict[str, Any]]]


@dataclass
class TrainVAEResult:
    first_step: int  # the step this call started from (0, or the resumed checkpoint's)
    step: int  # the step reached
    losses: list[float] = field(default_factory=list)  # total loss of steps first_step+1 .. step
    vae_dir: Path | None = None
    checkpoint: Path | None = None


def resolve_device(name: str) -> torch.device:
    return torch.device(
        "cuda" if name == "auto" and torch.cuda.is_available() else "cpu" if name == "auto" else name
    )


def _epoch_batches(data: DataSource, epoch: int) -> Iterable[dict[str, Any]]:
    if callable(data) and not hasattr(data, "__iter__"):
        return data(epoch)
    if hasattr(data, "set_epoch"):
        data.set_epoch(epoch)
    return data  # type: ignore[return-value]


def prepare_video(batch: dict[str, Any], cfg: TrainVAEConfig, device: torch.device) -> Tensor:
    """Batch ``video`` [B, T, 3, H, W] -> [B, 3, T', H', W'] float in [-1, 1] on ``device``, randomly
    cropped (torch's global RNG, restored on resume) to T' = num_frames (1 + 4k) and crop_size."""
    if "video" not in batch:
        raise KeyError(f"batch has no 'video' (keys: {sorted(batch)}); latent-only shards cannot train a VAE")
    video = torch.as_tensor(batch["video"])
    if video.ndim != 5 or video.shape[2] != 3:
        raise ValueError(f"batch video must be [B, T, 3, H, W], got {tuple(video.shape)}")
    video = to_unit_range(video) if video.dtype == torch.uint8 else video.float()
    video = video.permute(0, 2, 1, 3, 4)  # [B, 3, T, H, W]
    t, h, w = video.shape[2:]
    nt = cfg.num_frames or 1 + 4 * ((t - 1) // 4)
    size_h, size_w = (cfg.crop_size, cfg.crop_size) if cfg.crop_size else (h - h % 8, w - w % 8)
    if t < nt or h < size_h or w < size_w or size_h == 0 or size_w == 0:
        raise ValueError(
            f"batch video {t}x{h}x{w} (T x H x W) is smaller than the crop {nt}x{size_h}x{size_w}"
        )
    t0, y0, x0 = (int(torch.randint(0, n + 1, ())) if n > 0 else 0 for n in (t - nt, h - size_h, w - size_w))
    return video[:, :, t0 : t0 + nt, y0 : y0 + size_h, x0 : x0 + size_w].to(device)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train_vae(
    cfg: TrainVAEConfig,
    data: DataSource,
    out_dir: str | Path,
    stop_after: int | None = None,
    log: Callable[[str], None] | None = print,
) -> TrainVAEResult:
    """Train (or resume training, from the newest checkpoint in out_dir/checkpoints) to ``cfg.steps``;
    ``stop_after`` ends this call early at that step (a checkpoint is written), as a stopped job would."""
    from torch.utils.tensorboard import SummaryWriter

    out_dir, device = Path(out_dir), resolve_device(cfg.device)
    ckpt_dir = out_dir / "checkpoints"
    _seed_everything(cfg.seed)
    vae = VideoVAE(cfg.vae_config()).to(device)
    ema = EMA(vae, cfg.ema_decay, cfg.ema_warmup)
    opt = torch.optim.AdamW(vae.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)))
    models, opts, scheds = {"vae": vae, "ema": ema}, {"adamw": opt}, {"lr": sched}
    step, epoch, pos = 0, 0, 0  # pos: batches of this epoch already used
    if (latest := latest_checkpoint(ckpt_dir)) is not None:
        step, extra = load_checkpoint(latest, models, opts, scheds)
        epoch, pos = int(extra["epoch"]), int(extra["batch_in_epoch"])
        if log:
            log(f"resumed from {latest} (step {step})")
    result = TrainVAEResult(first_step=step, step=step)
    config_json = {"train": cfg.to_dict(), "vae": vae.config.to_dict()}
    atomic_write_text(out_dir / "train_config.json", json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    use_bf16 = cfg.bf16 and device.type == "cuda"
    end = cfg.steps if stop_after is None else min(cfg.steps, stop_after)
    writer = SummaryWriter(str(out_dir / "tb"), purge_step=step)

    def checkpoint() -> Path:
        extra = {"epoch": epoch, "batch_in_epoch": pos}
        return save_checkpoint(ckpt_dir, step, models, opts, scheds, extra, keep_last=cfg.keep_last)

    try:
        while step < end:
            seen = 0
            for batch in _epoch_batches(data, epoch):
                seen += 1
                if seen <= pos:
                    continue  # used before the checkpoint this run resumed from
                video = prepare_video(batch, cfg, device)
                vae.train()
                with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
                    recon, posterior = vae(video)
                    parts = vae_loss(recon, video, posterior, cfg.kl_weight, cfg.ssim_weight)
                opt.zero_grad(set_to_none=True)
                parts.total.backward()
                grad_norm = torch.nn.utils.clip_grad_norm_(vae.parameters(), cfg.grad_clip)
                opt.step()
                sched.step()
                ema.update(vae)
                step, pos = step + 1, seen
                loss = parts.total.item()
                if not math.isfinite(loss):
                    raise FloatingPointError(f"VAE loss is {loss} at step {step}")
                result.losses.append(loss)
                if step % cfg.log_every == 0 or step == end:
                    scalars = {
                        "loss": loss,
                        "l1": parts.l1.item(),
                        "ssim": parts.ssim.item(),
                        "kl": parts.kl.item(),
                    }
                    scalars |= {"grad_norm": float(grad_norm), "lr": sched.get_last_lr()[0]}
                    for k, v in scalars.items():
                        writer.add_scalar(f"vae/{k}", v, step)
                    if log:
                        log(f"step {step}: " + " ".join(f"{k} {v:.4g}" for k, v in scalars.items()))
                if step % cfg.sample_every == 0 or step == end:
                    _write_sample(vae, ema, video[:1], out_dir / "samples", step)
                if step % cfg.ckpt_every == 0 or step == end:
                    result.checkpoint = checkpoint()
                if step >= end:
                    break
            else:
                if seen == 0:
                    raise ValueError(f"the data source yielded no batches in epoch {epoch}")
                epoch, pos = epoch + 1, 0
    finally:
        writer.close()
    result.step = step
    if step >= cfg.steps:
        with ema.averaged(vae):
            result.vae_dir = save_vae(out_dir / "vae", vae)
    return result


@torch.no_grad()
def _write_sample(vae: VideoVAE, ema: EMA, video: Tensor, out_dir: Path, step: int) -> None:
    """Reconstruct ``video`` [1, 3, T, H, W] with the EMA weights and the posterior mean (no RNG use)."""
    with ema.averaged(vae):
        vae.eval()
        recon = vae.decode(vae.encode(video).mode())
    write_reconstruction(out_dir, step, video[0], recon[0])
