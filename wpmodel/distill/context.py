"""The context the teacher (real score) and the critic (fake score) condition on when they score a rollout.

Context Forcing (REFERENCE.md section 1): the teacher's context for the rolled-out chunks
``x_{j:j+k}`` is the union of the memory the student used for them minus the rolled-out chunks
themselves, ``C_tea = union_i C_stu(i) - x_{j:j+k}``, taken from CLEAN data latents (never
self-generated), so teacher and student condition on the same information. ``aligned_context`` is that
set; ``own_context`` is the ablation (``distill.context_alignment: false``): the teacher's own
reconstituted context for the rollout window, retrieved over the clean history as in its training.

``ScoreWindow`` holds the model inputs of ``[clean context | rolled-out chunks]``: context at flow time
0, the rolled-out chunks at the scoring time t, time indices reframed like the student's (context
``0..n-1``, rollout ``n..``) or absolute, chunk ids ``position // chunk``, so rolled-out chunk i sees
the whole context and the rolled-out chunks before it (block-causal), exactly as the teacher trained.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from wpmodel.distill.clip import Clip
from wpmodel.dit.prope import normalize_intrinsics
from wpmodel.memory.context import ContextPlan, build_context
from wpmodel.memory.retrieval import build_index, retrieve_memory_chunks
from wpmodel.train.step import rigid_inverse


def aligned_context(plans: Iterable[ContextPlan], rollout_ids: Iterable[int]) -> tuple[int, ...]:
    """Union of the student's context latents over the rolled-out chunks, minus the rolled-out latents."""
    union: set[int] = set()
    for plan in plans:
        union |= set(plan.context)
    return tuple(sorted(union - set(rollout_ids)))


def own_context(
    c2w: np.ndarray,  # [T, 4, 4] per-latent c2w of the clip
    start: int,
    num_rollout: int,
    chunk: int,
    temporal_chunks: int = 3,
    memory_latents: int = 8,
) -> tuple[int, ...]:
    """The teacher's own reconstituted context for latents ``start .. start + num_rollout``: retrieval
    over the clean history ``c2w[:start]`` with the whole rollout window as the query (the ablation)."""
    hist, query = c2w[:start], c2w[start : start + num_rollout]
    retrieved = retrieve_memory_chunks(
        hist, query, temporal_chunks, memory_latents, chunk, index=build_index(hist, chunk)
    )
    return build_context(start, retrieved, temporal_chunks, chunk, memory_latents, num_rollout).context


@dataclass(frozen=True)
class ScoreWindow:
    """Inputs of the teacher / critic for ``[clean context | rolled-out chunks]`` of one clip."""

    context_ids: tuple[int, ...]  # absolute latent indices of the clean context (sorted)
    rollout_ids: tuple[int, ...]  # absolute latent indices of the rolled-out chunks
    x_ctx: Tensor  # [1, n_ctx, C, h, w] clean data latents of the context
    caption: Tensor  # [1, D]
    actions: Tensor  # [1, n] int64
    viewmats: Tensor  # [1, n, 4, 4] w2c float32
    Ks: Tensor  # [1, n, 3, 3] normalised float32
    time_index: Tensor  # [1, n] float64
    chunk_id: Tensor  # [1, n] int64

    @property
    def n_ctx(self) -> int:
        return len(self.context_ids)

    def velocity(
        self, model: nn.Module, x_t: Tensor, t: Tensor, captions: Sequence[Tensor] | None = None
    ) -> Tensor:
        """Velocity of the rolled-out latents x_t [1, m, C, h, w] at flow time t [] or [1]: [G, m, C, h, w],
        one row per caption of ``captions`` (default: this window's caption), batched in one forward."""
        caps = [self.caption] if captions is None else list(captions)
        G, n_ctx, m = len(caps), self.n_ctx, x_t.shape[1]
        x = torch.cat([self.x_ctx, x_t.to(self.x_ctx.dtype)], dim=1).expand(G, -1, -1, -1, -1)
        tt = torch.cat([torch.zeros(n_ctx, device=x.device), t.reshape(1).float().expand(m)])  # [n]
        out = model(x, tt.expand(G, -1), torch.cat(caps, dim=0), self.actions.expand(G, -1),
                    self.viewmats.expand(G, -1, -1, -1), self.Ks.expand(G, -1, -1, -1),
                    self.time_index.expand(G, -1), self.chunk_id.expand(G, -1))  # fmt: skip
        return out[:, n_ctx:]


def score_window(
    clip: Clip,
    context_ids: Sequence[int],
    rollout_ids: Sequence[int],
    chunk: int,
    time_mode: str = "reframed",
) -> ScoreWindow:
    """The ``ScoreWindow`` of a clip: context from the clip's clean latents, poses/actions of both parts."""
    ctx, roll = [int(i) for i in context_ids], [int(i) for i in rollout_ids]
    if set(ctx) & set(roll):
        raise ValueError("the scoring context must not contain rolled-out latents")
    if len(ctx) % chunk or len(roll) % chunk:
        raise ValueError(
            f"context ({len(ctx)}) and rollout ({len(roll)}) must be whole {chunk}-latent chunks"
        )
    idx = np.asarray(ctx + roll, dtype=np.int64)  # [n]
    dev = clip.latents.device
    if time_mode == "reframed":
        ti = np.arange(len(idx), dtype=np.float64)
    elif time_mode == "absolute":
        ti = idx.astype(np.float64)
    else:
        raise ValueError(f"time_mode must be 'reframed' or 'absolute', got {time_mode!r}")
    K = normalize_intrinsics(torch.from_numpy(clip.K)).to(torch.float32)  # [3, 3]
    return ScoreWindow(
        context_ids=tuple(ctx),
        rollout_ids=tuple(roll),
        x_ctx=clip.latents[:, torch.as_tensor(ctx, dtype=torch.int64, device=dev)],
        caption=clip.caption,
        actions=torch.from_numpy(clip.actions[idx])[None].to(dev),
        viewmats=rigid_inverse(torch.from_numpy(clip.c2w[idx]))[None].to(dev, torch.float32),
        Ks=K.expand(1, len(idx), 3, 3).to(dev),
        time_index=torch.from_numpy(ti)[None].to(dev),
        chunk_id=(torch.arange(len(idx), device=dev) // chunk)[None],
    )
