"""The WorldPlay DiT training loop, short enough to hold in one's head (nanoGPT style).

Per step: next batch -> ``training_step`` (memory windows, per-chunk times, masked flow loss) ->
backward -> clip -> AdamW (linear warmup) -> EMA. Every rank draws the step's randomness from a
generator seeded by (seed, rank, step), so nothing depends on how a run was cut into calls. Resume is
exact: a checkpoint (``wpmodel.train.checkpoint``: safetensors + JSON, atomic, no pickle) stores the
model, EMA, optimizer, scheduler, RNG states and the data position (epoch, batches used in it); the
reader is deterministic for (seed, epoch), so skipping the used batches gives the same stream. Ranks
agree every step whether all of them still have a batch, so all move to the next epoch (and stop) at
the same step. Outputs under ``train.out_dir``: checkpoints/, tb/ (scalars, rank 0), samples/ (mp4),
train_config.json.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from manifests.atomic import atomic_write_text
from wpmodel.dit.model import WorldPlayDiT
from wpmodel.train.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from wpmodel.train.config import TrainConfig
from wpmodel.train.data import epoch_batches, load_frozen_vae, run_batches, train_loader, val_loader
from wpmodel.train.dist import DistInfo, barrier, init_distributed, mean_over_ranks, wrap_model
from wpmodel.train.ema import EMA
from wpmodel.train.fsdp_state import FullState, ema_source
from wpmodel.train.samples import write_sample_video
from wpmodel.train.step import batch_latents, training_step


@dataclass
class TrainResult:
    first_step: int  # where this call started (0, or the resumed checkpoint's step)
    step: int  # the step reached
    losses: list[float] = field(default_factory=list)  # this rank's loss of steps first_step+1 .. step
    val_losses: dict[int, float] = field(default_factory=dict)  # step -> held-out loss
    checkpoint: Path | None = None
    samples: list[Path] = field(default_factory=list)
    model: torch.nn.Module | None = None  # the trained DiT (unwrapped; under FSDP its params are shards)
    ema: EMA | None = None


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    """The CPU generator of one step on one rank."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, rank, step]).generate_state(1)[0]))


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader: Any, cfg: TrainConfig, vae: Any = None) -> float:
    """Held-out flow loss over the first ``data.val_batches`` batches: fixed windows, times and noise
    (generator seeded by the batch index), no caption drop."""
    was_training, losses = model.training, []
    model.eval()
    for i, batch in enumerate(epoch_batches(loader, 0, 0)):
        if i >= cfg.data.val_batches:
            break
        out = training_step(model, batch, step_generator(12345, 0, i), cfg, vae, caption_drop=0.0)
        losses.append(float(out.loss))
    model.train(was_training)
    if not losses:
        raise ValueError(f"validation shards {cfg.data.val_shards!r} yielded no batch")
    return float(np.mean(losses))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(
    cfg: TrainConfig,
    data: Any = None,
    val_data: Any = None,
    stop_after: int | None = None,
    log: Callable[[str], None] | None = print,
    info: DistInfo | None = None,
) -> TrainResult:
    """Train (or resume from the newest checkpoint in out_dir/checkpoints) up to ``train.steps``.

    ``data``/``val_data``: iterables of reader batches (default: loaders from ``cfg.data``);
    ``stop_after`` ends this call at that step with a checkpoint, as a stopped job would.
    """
    from torch.utils.tensorboard import SummaryWriter

    info = info or init_distributed(cfg.dist.backend, cfg.train.device)
    tc, main = cfg.train, info.is_main
    log = log if (log and main) else None
    out_dir, device = Path(tc.out_dir), info.device
    ckpt_dir = out_dir / "checkpoints"
    seed_everything(tc.seed)  # identical initial weights on every rank
    raw = WorldPlayDiT(cfg.model.dit_config()).to(device)
    raw.grad_checkpointing = cfg.model.grad_checkpointing
    ema = EMA(raw, tc.ema_decay)
    model = wrap_model(raw, info, cfg.dist.fsdp)
    opt = torch.optim.AdamW(
        model.parameters(), lr=cfg.optim.lr, betas=cfg.optim.betas, weight_decay=cfg.optim.weight_decay
    )
    warm = max(1, cfg.optim.warmup_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
    state = FullState(model, opt, cfg.dist.fsdp and info.distributed)
    models, opts, scheds = {"dit": state.model, "ema": ema}, {"adamw": state.optim}, {"lr": sched}
    step, epoch, pos = 0, 0, 0  # pos: batches of this epoch already trained on
    if (latest := latest_checkpoint(ckpt_dir)) is not None:
        step, extra = load_checkpoint(latest, models, opts, scheds)
        epoch, pos = int(extra["epoch"]), int(extra["batch_in_epoch"])
        if log:
            log(f"resumed from {latest} (step {step}, epoch {epoch}, batch {pos})")
    vae = load_frozen_vae(cfg.data.vae_path, device)
    data = train_loader(cfg, info) if data is None else data
    val_data = val_loader(cfg) if val_data is None else val_data
    result = TrainResult(first_step=step, step=step)
    end = tc.steps if stop_after is None else min(tc.steps, stop_after)
    writer = None
    if main:
        config_json = json.dumps(cfg.to_dict(), indent=2, sort_keys=True) + "\n"
        atomic_write_text(out_dir / "train_config.json", config_json)
        writer = SummaryWriter(str(out_dir / "tb"), purge_step=step)
    sample_batch: dict[str, Any] | None = None

    def checkpoint() -> Path | None:
        full = state.gather()  # collective under FSDP: every rank takes part
        path = None
        if main:
            extra = {"epoch": epoch, "batch_in_epoch": pos, "world_size": info.world_size}
            path = save_checkpoint(ckpt_dir, step, {**full.models, "ema": ema}, full.optims, scheds, extra,
                                   keep_last=tc.keep_last)  # fmt: skip
        barrier(info)
        return path

    try:
        t0 = time.perf_counter()
        batches = run_batches(data, epoch, pos, info) if step < end else iter(())
        for batch, at_epoch, at_pos in batches:
            epoch, pos = at_epoch, at_pos  # where a checkpoint resumes
            sample_batch = sample_batch or batch
            model.train()
            out = training_step(model, batch, step_generator(tc.seed, info.rank, step), cfg, vae)
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            grad_norm = float(_full(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)))
            opt.step()
            sched.step()
            ema.update(ema_source(model, state.sharded))
            step += 1
            loss = out.loss.item()
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"training loss is {loss} at step {step} (batch {batch.get('keys')})"
                )
            result.losses.append(loss)
            if step % tc.log_every == 0 or step == end:
                mean_loss, mean_gn = mean_over_ranks([loss, grad_norm], info)
                n = len(out.windows) * info.world_size
                scalars = {"loss": mean_loss, "grad_norm": mean_gn, "lr": sched.get_last_lr()[0],
                               "samples_per_s": n / max(time.perf_counter() - t0, 1e-9),
                               "memory_frac": sum(w.memory_mode for w in out.windows) / len(out.windows)}  # fmt: skip
                stats = getattr(data, "stats", None)
                if stats is not None:
                    scalars |= {
                        "data_skipped": stats.num_skipped,
                        "data_samples_read": stats.samples_read,
                    }
                if writer is not None:
                    for k, v in scalars.items():
                        writer.add_scalar(f"train/{k}", v, step)
                if log:
                    log(f"step {step}: " + " ".join(f"{k} {v:.4g}" for k, v in scalars.items()))
            if val_data is not None and tc.val_every and (step % tc.val_every == 0 or step == end):
                vl = evaluate(model, val_data, cfg, vae)
                result.val_losses[step] = vl
                if writer is not None:
                    writer.add_scalar("val/loss", vl, step)
                if log:
                    log(f"step {step}: val_loss {vl:.4g}")
            if main and tc.sample_every and (step % tc.sample_every == 0 or step == end):
                sb = sample_batch
                lat = batch_latents(sb, vae, device, torch.Generator().manual_seed(0))
                path = out_dir / "samples" / f"step_{step:08d}.mp4"
                result.samples.append(write_sample_video(
                        path, ema.module, sb, lat, vae, tc.sample_chunks, tc.sample_steps, tc.timestep_shift
                    ))  # fmt: skip
            if step % tc.ckpt_every == 0 or step == end:
                result.checkpoint = checkpoint()
            if step >= end:
                break
            t0 = time.perf_counter()
    finally:
        if writer is not None:
            writer.close()
    result.step, result.model, result.ema = step, raw, ema
    return result


def _full(t: torch.Tensor) -> torch.Tensor:
    return t.full_tensor() if hasattr(t, "full_tensor") else t


def run_training(cfg: TrainConfig, log: Callable[[str], None] | None = print) -> TrainResult:
    """Initialise the process group from the environment, train, and clean up.

    In a distributed run the result comes without ``model`` and ``ema`` (the weights are in the
    checkpoint): modules that hold the group's tensors are freed before the group is destroyed
    (``wpmodel.train.dist.cleanup``)."""
    from wpmodel.train.dist import cleanup

    info = init_distributed(cfg.dist.backend, cfg.train.device)
    try:
        result = train(cfg, log=log, info=info)
        if info.distributed:
            result.model = result.ema = None
        return result
    finally:
        cleanup(info)
