"""The context the teacher (real score) and the critic (fake score) condition on when they score a rollout.

Context Forcing (REFERENCE.md section 1): the teacher conditions on the memory the student used, taken
from CLEAN data latents (never self-generated), so teacher and student condition on the same information.
Made literal per scored chunk: rolled-out chunk i is scored in its own ``Segment``, the student's window
for it -- the latents of its ``ContextPlan`` (retrieved + first + recent chunks) in the same order, with
the RoPE time indices the student used (``Rollout.time_indices``: reframed per chunk, or absolute), chunk
ids ``position // chunk`` -- followed by chunk i itself. Context latents from before the rollout are the
clip's clean latents at flow time 0; where the student's memory held one of its own earlier rolled-out
chunks, the segment holds that rolled-out chunk as it is being scored (noised to the scoring time t,
jointly with chunk i, as DMD scores the joint rollout). Segments are rows of one batched forward; each
row is padded to the longest and an explicit visibility (``WorldPlayDiT(visible=...)``) keeps rows to
themselves and padding out of sight, so scored chunk i attends to exactly the student's context for it
and to itself, and its output is the teacher's (or critic's) on the student's own window.
``aligned_context`` is the union of those contexts minus the rolled-out chunks (the reference's
``C_tea = union_i C_stu(i) - x_{j:j+k}``: the set of clean latents the windows hold).

The ablation (``distill.context_alignment: false``, ``own_segments``): one segment ``[own context |
rolled-out chunks]`` with the teacher's own reconstituted context for the rollout window (retrieval over
the clean history, as in its training), block-causal over the rolled-out chunks.
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


@dataclass(frozen=True)
class Segment:
    """One scoring row: latents ``ids`` (context, then the scored chunk(s)) and their RoPE time indices."""

    ids: tuple[int, ...]  # absolute latent indices
    time_index: tuple[float, ...]  # one per id
    num_targets: int  # the last num_targets ids are the rolled-out latents this row scores

    @property
    def context(self) -> tuple[int, ...]:
        return self.ids[: len(self.ids) - self.num_targets]

    @property
    def targets(self) -> tuple[int, ...]:
        return self.ids[len(self.ids) - self.num_targets :]


def aligned_segments(plans: Sequence[ContextPlan], time_indices: Sequence[np.ndarray]) -> list[Segment]:
    """Per rolled-out chunk, the student's own window: its plan's context + target, its time indices."""
    return [Segment(tuple(int(i) for i in p.indices), tuple(float(v) for v in ti), len(p.target))
            for p, ti in zip(plans, time_indices, strict=True)]  # fmt: skip


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


def own_segments(
    c2w: np.ndarray,  # [T, 4, 4]
    start: int,
    num_rollout: int,
    chunk: int,
    temporal_chunks: int = 3,
    memory_latents: int = 8,
    time_mode: str = "reframed",
) -> list[Segment]:
    """The ablation's single row ``[own_context | rolled-out latents]``, time indices reframed or absolute."""
    ids = own_context(c2w, start, num_rollout, chunk, temporal_chunks, memory_latents)
    ids += tuple(range(start, start + num_rollout))
    if time_mode not in ("reframed", "absolute"):
        raise ValueError(f"time_mode must be 'reframed' or 'absolute', got {time_mode!r}")
    ti = range(len(ids)) if time_mode == "reframed" else ids
    return [Segment(ids, tuple(float(v) for v in ti), num_rollout)]


@dataclass(frozen=True)
class ScoreWindow:
    """Inputs of the teacher / critic for the segments of one clip: R rows padded to Lmax latents."""

    segments: tuple[Segment, ...]
    context_ids: tuple[int, ...]  # the clean context latents over all rows (sorted): aligned_context
    rollout_ids: tuple[int, ...]  # absolute latent indices of the rolled-out chunks (m)
    x_ctx: Tensor  # [1, n_ctx, C, h, w] clean data latents of context_ids
    caption: Tensor  # [1, D]
    gather: Tensor  # [R, Lmax] int64 into cat(x_ctx, x_t, one zero latent for padding)
    noisy: Tensor  # [R, Lmax] bool: a rolled-out latent (at the scoring time t)
    actions: Tensor  # [R, Lmax] int64
    viewmats: Tensor  # [R, Lmax, 4, 4] w2c float32
    Ks: Tensor  # [R, Lmax, 3, 3] normalised float32
    time_index: Tensor  # [R, Lmax] float64
    chunk_id: Tensor  # [R, Lmax] int64, within the row
    visible: Tensor  # [R, Lmax, Lmax] bool: block-causal within the row's real latents
    out_row: Tensor  # [m] int64: the row scoring each rolled-out latent
    out_pos: Tensor  # [m] int64: its position in that row

    @property
    def n_ctx(self) -> int:
        return len(self.context_ids)

    def velocity(
        self, model: nn.Module, x_t: Tensor, t: Tensor, captions: Sequence[Tensor] | None = None
    ) -> Tensor:
        """Velocity of the rolled-out latents x_t [1, m, C, h, w] at flow time t [] or [1]: [G, m, C, h, w],
        one row per caption of ``captions`` (default: this window's caption), batched in one forward."""
        caps = [self.caption] if captions is None else list(captions)
        G, (R, Lmax) = len(caps), self.gather.shape
        src = torch.cat([self.x_ctx, x_t.to(self.x_ctx.dtype), self.x_ctx.new_zeros(1, 1, *x_t.shape[2:])], 1)
        x = src[0][self.gather]  # [R, Lmax, C, h, w]
        tt = self.noisy.float() * t.reshape(()).float()  # [R, Lmax]

        def rep(a: Tensor) -> Tensor:  # [R, ...] -> [G * R, ...], caption-major
            return a.repeat(G, *([1] * (a.ndim - 1)))

        out = model(rep(x), rep(tt), torch.cat(caps, 0).repeat_interleave(R, 0), rep(self.actions),
                    rep(self.viewmats), rep(self.Ks), rep(self.time_index), rep(self.chunk_id),
                    visible=rep(self.visible))  # fmt: skip
        return out.view(G, R, Lmax, *out.shape[2:])[:, self.out_row, self.out_pos]


def score_window(
    clip: Clip, segments: Sequence[Segment], rollout_ids: Sequence[int], chunk: int
) -> ScoreWindow:
    """The ``ScoreWindow`` of a clip's segments: clean context from the clip, poses/actions of every row.

    Each rolled-out latent is the target of exactly one row; a row's context holds clean history
    (before the rollout) and rolled-out latents of earlier chunks only, in whole chunks."""
    roll = [int(i) for i in rollout_ids]
    segs = list(segments)
    if not roll or not segs:
        raise ValueError("score_window needs rolled-out latents and at least one segment")
    first, pos_of = min(roll), {r: j for j, r in enumerate(roll)}
    targets = [i for s in segs for i in s.targets]
    if sorted(targets) != sorted(roll):
        raise ValueError("every rolled-out latent must be the target of exactly one segment")
    for s in segs:
        if (
            len(s.ids) % chunk
            or s.num_targets % chunk
            or not s.num_targets
            or len(s.time_index) != len(s.ids)
        ):
            raise ValueError(f"segment {s.ids}: context and targets must be whole {chunk}-latent chunks")
        if any(not (0 <= i < first or (i in pos_of and i < min(s.targets))) for i in s.context):
            raise ValueError(
                f"segment context {s.context} must not contain rolled-out latents of its own or later "
                f"chunks (targets {s.targets}) nor latents after the rollout start {first}"
            )
    ctx = sorted({i for s in segs for i in s.context} - set(roll))
    ctx_pos, n_ctx, m = {c: j for j, c in enumerate(ctx)}, len(ctx), len(roll)
    R, Lmax = len(segs), max(len(s.ids) for s in segs)
    gather = np.full((R, Lmax), n_ctx + m, dtype=np.int64)
    noisy, valid = np.zeros((R, Lmax), dtype=bool), np.zeros((R, Lmax), dtype=bool)
    ids, ti = np.zeros((R, Lmax), dtype=np.int64), np.zeros((R, Lmax), dtype=np.float64)
    out_row, out_pos = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
    for r, s in enumerate(segs):
        n = len(s.ids)
        ids[r, :n], ti[r, :n], valid[r, :n] = s.ids, s.time_index, True
        noisy[r, :n] = [i in pos_of for i in s.ids]
        gather[r, :n] = [n_ctx + pos_of[i] if i in pos_of else ctx_pos[i] for i in s.ids]
        for p, i in enumerate(s.ids[n - s.num_targets :], start=n - s.num_targets):
            out_row[pos_of[i]], out_pos[pos_of[i]] = r, p
    cid = np.tile(np.arange(Lmax) // chunk, (R, 1))
    visible = valid[:, :, None] & valid[:, None, :] & (cid[:, None, :] <= cid[:, :, None])  # [R, Lmax, Lmax]
    visible |= np.eye(Lmax, dtype=bool)[None] & ~valid[:, :, None]  # a padding latent sees only itself
    dev = clip.latents.device
    K = normalize_intrinsics(torch.from_numpy(clip.K)).to(torch.float32)  # [3, 3]
    vm = rigid_inverse(torch.from_numpy(clip.c2w[ids.reshape(-1)])).reshape(R, Lmax, 4, 4)
    return ScoreWindow(
        segments=tuple(segs),
        context_ids=tuple(ctx),
        rollout_ids=tuple(roll),
        x_ctx=clip.latents[:, torch.as_tensor(ctx, dtype=torch.int64, device=dev)],
        caption=clip.caption,
        gather=torch.from_numpy(gather).to(dev),
        noisy=torch.from_numpy(noisy).to(dev),
        actions=torch.from_numpy(np.where(valid, clip.actions[ids], 0)).to(dev),
        viewmats=vm.to(dev, torch.float32),
        Ks=K.expand(R, Lmax, 3, 3).to(dev),
        time_index=torch.from_numpy(ti).to(dev),
        chunk_id=torch.from_numpy(cid).to(dev),
        visible=torch.from_numpy(visible).to(dev),
        out_row=torch.from_numpy(out_row).to(dev),
        out_pos=torch.from_numpy(out_pos).to(dev),
    )
