"""One critic update and one generator (student) update of Context Forcing, on the clips of one batch.

Each update rolls the student out afresh per clip (``rollout.student_rollout``: its own memory, random
exit steps, gradients only through the last chunk(s)) from a random chunk-aligned start, and scores each
rolled-out chunk over exactly the context the student used for it, from clean data, the same for teacher
and critic (``context.aligned_segments``, or the teacher's own retrieval when
``distill.context_alignment`` is off: ``context.own_segments``). Losses are averaged over the
clips (one backward per clip, so only one rollout graph is alive at a time); gradients are then averaged
over ranks (``average_gradients``; nothing to do for an FSDP2-sharded model, whose backward
reduce-scatters averaged gradients). The caller clips and steps the optimizer (``clip_and_step``).

Multi-process: ``average_gradients`` is one flat all-reduce, what DDP does without its bucketing and
overlap. DDP's wrapper is not used because an update runs the student many times per backward (the
rollout's steps under no_grad, one exit step per chunk with gradients, per clip) through its KV-cache
API (``new_cache``, ``config``) that the wrapper hides, and DDP's reducer expects one forward per backward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.distributed.fsdp import FSDPModule

from wpmodel.distill.clip import Clip, rollout_start
from wpmodel.distill.config import DistillSection
from wpmodel.distill.context import ScoreWindow, aligned_segments, own_segments, score_window
from wpmodel.distill.losses import critic_loss, dmd_timestep, generator_loss
from wpmodel.distill.rollout import Rollout, draw_exit_steps, student_rollout
from wpmodel.train.dist import DistInfo, full_tensor


def scored_rollout(
    student: nn.Module, clip: Clip, dc: DistillSection, g: torch.Generator, g_exit: torch.Generator
) -> tuple[Rollout, ScoreWindow]:
    """A student rollout from a random start of ``clip`` and the window the teacher and critic score it in."""
    chunk = int(student.config.chunk_latents)
    start = rollout_start(clip.num_latents, chunk, dc.rollout_chunks, dc.min_history_chunks, g)
    exits = draw_exit_steps(dc.rollout_chunks, dc.denoising_steps, g_exit)
    ro = student_rollout(student, clip, start, dc.rollout_chunks, exits, g, dc.denoising_steps, dc.shift,
                         dc.grad_chunks, dc.temporal_chunks, dc.memory_latents, dc.time_mode,
                         dc.memory)  # fmt: skip
    if dc.context_alignment:
        segments = aligned_segments(ro.plans, ro.time_indices)
    else:
        segments = own_segments(clip.c2w, start, len(ro.latent_ids), chunk, dc.temporal_chunks,
                                dc.memory_latents, dc.time_mode)  # fmt: skip
    return ro, score_window(clip, segments, ro.latent_ids, chunk)


def critic_update(
    critic: nn.Module,
    opt: torch.optim.Optimizer,
    student: nn.Module,
    clips: list[Clip],
    dc: DistillSection,
    g: torch.Generator,
    g_exit: torch.Generator,
    info: DistInfo,
    autocast: Callable[[], Any],
) -> float:
    """Gradients of the critic's flow-matching loss on fresh (no_grad) student rollouts; returns the loss."""
    opt.zero_grad(set_to_none=True)
    total, dev = 0.0, clips[0].latents.device
    for clip in clips:
        with torch.no_grad(), autocast():
            ro, window = scored_rollout(student, clip, dc, g, g_exit)
        t = dmd_timestep(g, dc.shift, dc.timestep_clamp).to(dev)
        eps = torch.randn(ro.latents.shape, generator=g).to(dev)
        with autocast():
            loss = critic_loss(critic, window, ro.latents, t, eps) / len(clips)
        loss.backward()
        total += loss.item()
    average_gradients(critic, info)
    return total


def generator_update(
    student: nn.Module,
    teacher: nn.Module,
    critic: nn.Module,
    opt: torch.optim.Optimizer,
    clips: list[Clip],
    dc: DistillSection,
    g: torch.Generator,
    g_exit: torch.Generator,
    info: DistInfo,
    autocast: Callable[[], Any],
) -> dict[str, float]:
    """Gradients of the DMD loss of fresh student rollouts; returns the loss and health scalars."""
    opt.zero_grad(set_to_none=True)
    stats = {"gen_loss": 0.0, "dmd_direction_rms": 0.0, "teacher_context_latents": 0.0}
    dev, B = clips[0].latents.device, len(clips)
    for clip in clips:
        with autocast():
            ro, window = scored_rollout(student, clip, dc, g, g_exit)
            t = dmd_timestep(g, dc.shift, dc.timestep_clamp).to(dev)
            eps = torch.randn(ro.latents.shape, generator=g).to(dev)
            out = generator_loss(ro.latents, window, teacher, critic, t, eps, dc.guidance_scale)
        (out.loss / B).backward()
        stats["gen_loss"] += out.loss.item() / B
        stats["dmd_direction_rms"] += out.grad_norm / B
        stats["teacher_context_latents"] += window.n_ctx / B
    average_gradients(student, info)
    return stats


def clip_and_step(model: nn.Module, opt: torch.optim.Optimizer, max_norm: float) -> float:
    """Clip the gradient norm, step the optimizer; returns the norm before clipping."""
    norm = float(full_tensor(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)))
    opt.step()
    return norm


def average_gradients(model: nn.Module, info: DistInfo) -> None:
    """Average every parameter's gradient over ranks (one flat all-reduce); missing grads count as 0.
    A no-op for an FSDP2-sharded model: its backward already reduce-scattered the averaged gradients."""
    if not info.distributed or isinstance(model, FSDPModule):
        return
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    flat = torch.cat([p.grad.reshape(-1) for p in params])
    torch_dist.all_reduce(flat)
    flat /= info.world_size
    offset = 0
    for p in params:
        p.grad.copy_(flat[offset : offset + p.numel()].view_as(p.grad))
        offset += p.numel()
