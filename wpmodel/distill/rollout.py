"""Student self-rollout with its own reconstituted memory (Context Forcing, REFERENCE.md section 1).

The clip's first ``start`` latents are clean data (the history); the student then generates
``chunks`` chunks one after another exactly as ``StreamingGenerator`` does at inference -- same
retrieval over the memory index, same ``build_context``, same temporal reframing, same KV cache written
from the context latents (``prepare_chunk`` / ``chunk_velocity`` / ``append_chunk``) -- so its own
generated chunks enter the memory of the next ones.

Per chunk, Self-Forcing's denoising trajectory: Euler steps on the shifted grid (``time_grid``: t = 1,
shift(.75), shift(.5), shift(.25) for 4 steps), stopped at a random exit step ``e`` where the model's
clean prediction ``x0 = x_t - t_e v`` is the chunk's output. Exiting at the last step is the inference
Euler step to 0, bit for bit. Steps before the exit run under no_grad; the exit step carries gradients
only for the last ``grad_chunks`` chunks. The next chunk's KV cache is rebuilt (under no_grad) from the
clean outputs -- the "KV cache refreshed on the clean output" of Self-Forcing -- so no gradient flows
from one chunk into another. Exit steps come from the caller (``exit_steps``: drawn from a generator
that is identical on every rank); noise from ``generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from wpmodel.distill.clip import Clip
from wpmodel.dit.flow import time_grid
from wpmodel.generate.stream import StreamingGenerator
from wpmodel.memory.context import ContextPlan


@dataclass
class Rollout:
    latents: Tensor  # [1, chunks * chunk_latents, C, h, w] generated (last grad_chunks carry gradients)
    start: int  # first latent of the rollout (latents before it are clean data)
    plans: list[ContextPlan]  # per rolled-out chunk: the student's context (absolute latent indices)
    exits: list[int]  # per rolled-out chunk: the exit step
    time_indices: list[np.ndarray]  # per rolled-out chunk: [n_ctx + chunk] RoPE times the student used

    @property
    def latent_ids(self) -> range:
        """Absolute latent indices of the rolled-out chunks."""
        return range(self.start, self.start + int(self.latents.shape[1]))

    def context_chunk_ids(self, chunk: int) -> list[tuple[int, ...]]:
        """Per rolled-out chunk, the sorted chunk ids of the context the student used."""
        return [tuple(sorted({i // chunk for i in p.context})) for p in self.plans]


def draw_exit_steps(n: int, steps: int, generator: torch.Generator) -> list[int]:
    """``n`` exit steps uniform in [0, steps) (pass a generator seeded identically on every rank)."""
    return torch.randint(0, steps, (n,), generator=generator).tolist()


def student_rollout(
    student: nn.Module,
    clip: Clip,
    start: int,
    chunks: int,
    exit_steps: list[int],
    generator: torch.Generator,
    steps: int = 4,
    shift: float = 3.0,
    grad_chunks: int = 1,
    temporal_chunks: int = 3,
    memory_latents: int = 8,
    time_mode: str = "reframed",
    memory: str = "fov",
) -> Rollout:
    """Roll the student out over ``chunks`` chunks from the clean history ``clip.latents[:, :start]``
    (gradients are only recorded when grad mode is on)."""
    c = int(student.config.chunk_latents)
    if start < c or start % c or start + chunks * c > clip.num_latents:
        raise ValueError(
            f"rollout start {start} + {chunks} chunks does not fit a {clip.num_latents}-latent clip"
        )
    if len(exit_steps) != chunks or not all(0 <= e < steps for e in exit_steps):
        raise ValueError(f"exit_steps must be {chunks} values in [0, {steps}), got {exit_steps}")
    dev = clip.latents.device
    gen = StreamingGenerator(student, steps=steps, shift=shift, temporal_chunks=temporal_chunks,
                             memory_latents=memory_latents, time_mode=time_mode, memory=memory, device=dev)  # fmt: skip
    gen.start(clip.latents[:, :c], clip.caption, clip.c2w[:c], clip.K, clip.actions[:c])
    for s in range(c, start, c):
        gen.append_chunk(clip.latents[:, s : s + c], clip.actions[s : s + c], clip.c2w[s : s + c])
    grid = time_grid(steps, shift).tolist()
    outs, plans, times = [], [], []
    for i, exit_step in enumerate(exit_steps):
        s = start + i * c
        acts, poses = clip.actions[s : s + c], np.asarray(clip.c2w[s : s + c], dtype=np.float64)
        ctx = gen.prepare_chunk(poses)
        velocity = gen.chunk_velocity(ctx, acts, poses)
        x = torch.randn((1, c, *clip.latents.shape[2:]), generator=generator).to(dev)  # [1, c, C, h, w]
        with torch.no_grad():
            for t_cur, t_next in zip(grid[:exit_step], grid[1 : exit_step + 1], strict=True):
                t = torch.full((1, c), t_cur, dtype=torch.float32, device=dev)
                x = x + (t_next - t_cur) * velocity(x, t).to(x.dtype)
        with torch.set_grad_enabled(torch.is_grad_enabled() and i >= chunks - grad_chunks):
            t_e = grid[exit_step]
            x0 = (
                x
                + (0.0 - t_e) * velocity(x, torch.full((1, c), t_e, dtype=torch.float32, device=dev)).float()
            )
        gen.append_chunk(x0.detach(), acts, poses)
        outs.append(x0)
        plans.append(ctx.plan)
        times.append(ctx.time_index_np)
    return Rollout(torch.cat(outs, dim=1), start, plans, list(exit_steps), times)
