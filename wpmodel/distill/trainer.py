"""The Context Forcing distillation loop (``wp distill``), nanoGPT style: per step, next batch ->
``critic_steps`` critic updates -> one generator (student) update -> the student's EMA (the updates,
their rollouts and scoring contexts: ``updates.py``).

Like ``wpmodel.train.trainer``: randomness from generators seeded by (seed, rank, step) -- exit steps
from one seeded by (seed, step) only, identical on every rank -- so a run resumes exactly from a
checkpoint (student as ``dit`` + its ``ema``, critic, both optimizers and schedulers, data position and
the teacher checkpoint it started from, through ``wpmodel.train.checkpoint``); tensorboard scalars and
sample videos (``train.samples``) on rank 0. The run folder also gets the teacher's
``train_config.json``, so ``load_dit`` / ``wp generate`` load the distilled student (EMA) from it like
any WorldPlay run. Several processes: gradients averaged over ranks (``updates.average_gradients``, a flat
all-reduce), or, with ``dist.fsdp``, student and critic sharded with FSDP2 (``fully_shard`` per block and
the root: ``wpmodel.train.dist.wrap_model``), whose reduce-scatter averages the gradients; the frozen teacher stays
replicated. FSDP2's hooks run on every ``module(...)`` call, so the rollout's streaming entry points
(context write, cache reads) all-gather like any forward; checkpoints and the EMA read full tensors
(``wpmodel.train.fsdp_state.FullState``, optimizer state loaded non-strictly: collectives every rank
takes part in).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from manifests.atomic import atomic_write_text
from wpmodel.data.loader import make_loader
from wpmodel.distill.clip import clips_from_batch
from wpmodel.distill.config import DistillConfig
from wpmodel.distill.networks import load_networks
from wpmodel.distill.updates import clip_and_step, critic_update, generator_update
from wpmodel.train.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from wpmodel.train.data import load_frozen_vae, run_batches, shard_source
from wpmodel.train.dist import DistInfo, barrier, init_distributed, mean_over_ranks, wrap_model
from wpmodel.train.ema import EMA
from wpmodel.train.fsdp_state import FullState, ema_source
from wpmodel.train.samples import write_sample_video
from wpmodel.train.step import batch_latents
from wpmodel.train.trainer import seed_everything, step_generator


@dataclass
class DistillResult:
    first_step: int
    step: int
    gen_losses: list[float] = field(default_factory=list)  # this rank's DMD loss per step
    critic_losses: list[float] = field(default_factory=list)  # this rank's mean critic loss per step
    checkpoint: Path | None = None
    samples: list[Path] = field(default_factory=list)
    student: torch.nn.Module | None = None  # FSDP2-sharded under dist.fsdp (full_tensor() its params)
    critic: torch.nn.Module | None = None
    ema: EMA | None = None


def exit_generator(seed: int, step: int) -> torch.Generator:
    """The generator of a step's exit steps: the same on every rank (no rank in its seed)."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, 0xE, step]).generate_state(1)[0]))


def resumed_teacher(checkpoint: Path, configured: str) -> str:
    """The teacher checkpoint a run started from (recorded in its checkpoints), so that a resumed run
    scores with the same teacher even if the teacher's run has saved newer checkpoints since."""
    tree = json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
    recorded = tree.get("extra", {}).get("teacher_checkpoint")
    return recorded if isinstance(recorded, str) and Path(recorded).is_dir() else configured


def distill(
    cfg: DistillConfig,
    data: Any = None,
    stop_after: int | None = None,
    log: Callable[[str], None] | None = print,
    info: DistInfo | None = None,
) -> DistillResult:
    """Distil (or resume from the newest checkpoint in out_dir/checkpoints) up to ``train.steps``."""
    from torch.utils.tensorboard import SummaryWriter

    info = info or init_distributed(cfg.dist.backend, cfg.train.device)
    if cfg.teacher.path is None:
        raise ValueError("teacher.path is not set: give the `wp train` run (or checkpoint) to distil")
    tc, dc, oc, main = cfg.train, cfg.distill, cfg.optim, info.is_main
    log = log if (log and main) else None
    out_dir, device = Path(tc.out_dir), info.device
    ckpt_dir = out_dir / "checkpoints"
    seed_everything(tc.seed)
    latest = latest_checkpoint(ckpt_dir)
    teacher_path = cfg.teacher.path if latest is None else resumed_teacher(latest, cfg.teacher.path)
    nets = load_networks(teacher_path, cfg.teacher.config, cfg.teacher.ema, device)
    teacher, sharded = nets.teacher, cfg.dist.fsdp and info.distributed
    ema = EMA(nets.student, tc.ema_decay)
    student, critic = nets.student, nets.critic
    if sharded:
        student, critic = wrap_model(student, info, fsdp=True), wrap_model(critic, info, fsdp=True)
    opt_g = torch.optim.AdamW(
        student.parameters(), lr=oc.lr_generator, betas=oc.betas, weight_decay=oc.weight_decay
    )
    opt_c = torch.optim.AdamW(
        critic.parameters(), lr=oc.lr_critic, betas=oc.betas, weight_decay=oc.weight_decay
    )
    warm = max(1, oc.warmup_steps)
    scheds = {name: torch.optim.lr_scheduler.LambdaLR(o, lambda s: min(1.0, (s + 1) / warm))
              for name, o in (("generator", opt_g), ("critic", opt_c))}  # fmt: skip
    # the student's caption embedding never gets a gradient (captions enter the rollout only through the
    # KV cache written under no_grad): AdamW keeps no state for it, so its sharded load is not strict
    full_g = FullState(student, opt_g, sharded, strict_optim=False)
    full_c = FullState(critic, opt_c, sharded, strict_optim=False)
    models = {"dit": full_g.model, "ema": ema, "critic": full_c.model}
    opts = {"generator": full_g.optim, "critic": full_c.optim}
    step, epoch, pos = 0, 0, 0
    if latest is not None:
        step, extra = load_checkpoint(latest, models, opts, scheds)
        epoch, pos = int(extra["epoch"]), int(extra["batch_in_epoch"])
        if log:
            log(f"resumed from {latest} (step {step}, epoch {epoch}, batch {pos})")
    vae = load_frozen_vae(cfg.data.vae_path, device)
    if data is None:
        d = cfg.data
        data = make_loader(shard_source(d.shards), d.batch_size, window_latents=d.window_latents,
                           latents=d.latents, shuffle_buffer=d.shuffle_buffer, seed=tc.seed,
                           num_workers=d.num_workers, rank=info.rank, world_size=info.world_size, size=d.size,
                           drop_last=True)  # fmt: skip
    result = DistillResult(first_step=step, step=step)
    end = tc.steps if stop_after is None else min(tc.steps, stop_after)
    use_bf16 = device.type == "cuda" and tc.precision == "bf16"

    def autocast() -> Any:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16) if use_bf16 else nullcontext()

    writer = None
    if main:
        atomic_write_text(
            out_dir / "distill_config.json", json.dumps(cfg.to_dict(), indent=2, sort_keys=True) + "\n"
        )
        atomic_write_text(out_dir / "train_config.json",
                          json.dumps(nets.teacher_config.to_dict(), indent=2, sort_keys=True) + "\n")  # fmt: skip
        writer = SummaryWriter(str(out_dir / "tb"), purge_step=step)
    sample_batch: dict[str, Any] | None = None

    def checkpoint() -> Path | None:
        g, c = full_g.gather(), full_c.gather()  # collectives under FSDP: every rank takes part
        path = None
        if main:
            extra = {"epoch": epoch, "batch_in_epoch": pos, "world_size": info.world_size,
                     "teacher_checkpoint": str(nets.teacher_checkpoint.resolve())}  # fmt: skip
            full_models = {"dit": g.models["dit"], "ema": ema, "critic": c.models["dit"]}
            full_opts = {"generator": g.optims["adamw"], "critic": c.optims["adamw"]}
            path = save_checkpoint(
                ckpt_dir, step, full_models, full_opts, scheds, extra, keep_last=tc.keep_last
            )
        barrier(info)
        return path

    try:
        t0 = time.perf_counter()
        batches = run_batches(data, epoch, pos, info, "distillation") if step < end else iter(())
        for batch, at_epoch, at_pos in batches:
            epoch, pos = at_epoch, at_pos  # where a checkpoint resumes
            sample_batch = sample_batch or batch
            g, g_exit = step_generator(tc.seed, info.rank, step), exit_generator(tc.seed, step)
            clips = clips_from_batch(batch, batch_latents(batch, vae, device, g))
            c_losses, c_norm = [], 0.0
            for _ in range(dc.critic_steps):
                c_losses.append(critic_update(critic, opt_c, student, clips, dc, g, g_exit, info, autocast))
                c_norm = clip_and_step(critic, opt_c, oc.grad_clip)
            stats = generator_update(student, teacher, critic, opt_g, clips, dc, g, g_exit, info, autocast)
            g_norm, g_loss = clip_and_step(student, opt_g, oc.grad_clip), stats["gen_loss"]
            for sched in scheds.values():
                sched.step()
            ema.update(ema_source(student, sharded))
            step += 1
            c_mean = float(np.mean(c_losses)) if c_losses else float("nan")
            if not math.isfinite(g_loss) or (c_losses and not math.isfinite(c_mean)):
                raise FloatingPointError(
                    f"distillation loss is not finite at step {step}: {g_loss}, {c_mean}"
                )
            result.gen_losses.append(g_loss)
            result.critic_losses.append(c_mean)
            if step % tc.log_every == 0 or step == end:
                names = ["gen_loss", "critic_loss", "grad_norm_generator", "grad_norm_critic",
                             "dmd_direction_rms", "teacher_context_latents"]  # fmt: skip
                vals = [g_loss, c_mean if c_losses else 0.0, g_norm, c_norm,
                            stats["dmd_direction_rms"], stats["teacher_context_latents"]]  # fmt: skip
                scalars = dict(zip(names, mean_over_ranks(vals, info), strict=True))
                scalars |= {"lr_generator": scheds["generator"].get_last_lr()[0],
                                "steps_per_s": 1.0 / max(time.perf_counter() - t0, 1e-9)}  # fmt: skip
                if writer is not None:
                    for k, v in scalars.items():
                        writer.add_scalar(f"distill/{k}", v, step)
                if log:
                    log(f"step {step}: " + " ".join(f"{k} {v:.4g}" for k, v in scalars.items()))
            if main and tc.sample_every and (step % tc.sample_every == 0 or step == end):
                lat = batch_latents(sample_batch, vae, device, torch.Generator().manual_seed(0))
                path = out_dir / "samples" / f"step_{step:08d}.mp4"
                result.samples.append(write_sample_video(path, ema.module, sample_batch, lat, vae,
                                                             tc.sample_chunks, dc.denoising_steps, dc.shift))  # fmt: skip
            if step % tc.ckpt_every == 0 or step == end:
                result.checkpoint = checkpoint()
            if step >= end:
                break
            t0 = time.perf_counter()
    finally:
        if writer is not None:
            writer.close()
    result.step, result.student, result.critic, result.ema = step, student, critic, ema
    return result


def run_distill(cfg: DistillConfig, log: Callable[[str], None] | None = print) -> DistillResult:
    """Initialise the process group from the environment, distil, and clean up.

    In a distributed run the result comes without its modules (``student``, ``critic``, ``ema``; the
    weights are in the checkpoint): they are freed before the group is destroyed (``dist.cleanup``)."""
    from wpmodel.train.dist import cleanup

    info = init_distributed(cfg.dist.backend, cfg.train.device)
    try:
        result = distill(cfg, log=log, info=info)
        if info.distributed:
            result.student = result.critic = result.ema = None
        return result
    finally:
        cleanup(info)
