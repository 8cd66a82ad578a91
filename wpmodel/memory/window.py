"""Memory-mode training windows from a long clip (the release's training recipe, REFERENCE.md section 1).

With probability ``p_memory`` a window is in memory mode: a random target chunk (late enough that a
full context exists), its reconstituted context (first chunk + FOV-retrieved chunks + the last 3
chunks, ``context.py``) with reframed time indices, the context lightly noised with one flow time per
context chunk, the loss on the target chunk only. Otherwise it is the plain first ``plain_latents``
(24) latents, time indices 0..n-1, per-chunk timesteps sampled by the trainer, loss everywhere.

Context noise: the release draws the context timestep from indices [500, 985] of its 1000-step
sampling table. That table runs from pure noise (index 0) to clean (index 1000) with shift 3, so
index i is flow time ``t = shift(1 - i / 1000)`` with ``shift(s) = 3 s / (1 + 2 s)``: t in about
[0.044, 0.75] -- lightly noised, as the paper says (x_t = (1 - t) x0 + t eps). ``context_t_range``
overrides this with t ~ U(range) for experiments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from manifests.layout import FRAMES_PER_LATENT
from wpmodel.memory.context import build_context, reframe
from wpmodel.memory.retrieval import FOV_DEG, retrieve_memory_chunks


@dataclass(frozen=True)
class TrainingWindow:
    """One training window of a clip; every array is per window latent, [n] with n <= 24."""

    indices: np.ndarray  # [n] int64 latent indices into the clip (context sorted, then target)
    time_index: np.ndarray  # [n] int64 RoPE time positions (reframed, or absolute for the ablation)
    chunk_id: np.ndarray  # [n] int64 block-causal chunk id (position // chunk_latents)
    loss_mask: np.ndarray  # [n] bool: latents the flow loss is taken on
    context_noise_t: np.ndarray  # [n] float32 fixed flow time of context latents; NaN: trainer samples t
    memory_mode: bool
    target_start: int  # first latent of the target chunk (memory mode), 0 in plain mode


def latent_c2w(c2w_frames: np.ndarray) -> np.ndarray:
    """Per-latent poses from per-video-frame poses: latent i uses frame 4i -> [T_latent, 4, 4]."""
    c2w = np.asarray(c2w_frames)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or len(c2w) == 0:
        raise ValueError(f"c2w_frames: expected [T, 4, 4] with T >= 1, got {list(c2w.shape)}")
    return c2w[::FRAMES_PER_LATENT]


def shifted_t(s: np.ndarray | float, shift: float) -> np.ndarray:
    """Timestep shift of flow matching: s' = shift s / (1 + (shift - 1) s)."""
    s = np.asarray(s, dtype=np.float64)
    return shift * s / (1.0 + (shift - 1.0) * s)


def context_times(
    num_chunks: int,
    generator: np.random.Generator,
    t_index: tuple[int, int] = (500, 985),
    steps: int = 1000,
    shift: float = 3.0,
    t_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """One flow time per context chunk: [num_chunks] float64 (see the module docstring)."""
    if t_range is not None:
        lo, hi = (float(v) for v in t_range)
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"context_t_range must satisfy 0 <= lo <= hi <= 1, got {t_range}")
        return generator.uniform(lo, hi, num_chunks)
    lo_i, hi_i = (int(v) for v in t_index)
    if not 0 <= lo_i <= hi_i <= steps:
        raise ValueError(f"context t_index must satisfy 0 <= lo <= hi <= {steps}, got {t_index}")
    idx = generator.integers(lo_i, hi_i + 1, num_chunks)
    return shifted_t(1.0 - idx / steps, shift)


def merge_timesteps(sampled_t: np.ndarray, context_noise_t: np.ndarray) -> np.ndarray:
    """The window's flow times: the trainer's sampled t where context_noise_t is NaN, else the fixed t."""
    return np.where(np.isnan(context_noise_t), sampled_t, context_noise_t)


def plain_window(num_latents: int, plain_latents: int = 24, chunk_latents: int = 4) -> TrainingWindow:
    """The first min(plain_latents, num_latents) latents, loss everywhere, timesteps left to the trainer."""
    n = min(int(plain_latents), int(num_latents))
    if n < 1:
        raise ValueError(
            f"a window needs >= 1 latent: num_latents={num_latents}, plain_latents={plain_latents}"
        )
    idx = np.arange(n, dtype=np.int64)
    return TrainingWindow(
        indices=idx,
        time_index=idx.copy(),
        chunk_id=idx // chunk_latents,
        loss_mask=np.ones(n, dtype=bool),
        context_noise_t=np.full(n, np.nan, dtype=np.float32),
        memory_mode=False,
        target_start=0,
    )


def target_starts(
    num_latents: int, context_latents: int = 20, target_latents: int = 4, chunk_latents: int = 4
) -> np.ndarray:
    """Chunk-aligned target starts with a full context before them and the target inside the clip."""
    first = -(-int(context_latents) // chunk_latents) * chunk_latents  # round up to a chunk start
    return np.arange(first, int(num_latents) - target_latents + 1, chunk_latents, dtype=np.int64)


def sample_training_window(
    num_latents: int,
    c2w_latents: np.ndarray,
    generator: np.random.Generator,
    p_memory: float = 0.8,
    context_latents: int = 20,
    target_latents: int = 4,
    temporal_chunks: int = 3,
    chunk_latents: int = 4,
    plain_latents: int | None = None,
    context_t_index: tuple[int, int] = (500, 985),
    schedule_shift: float = 3.0,
    context_t_range: tuple[float, float] | None = None,
    time_mode: str = "reframed",
    fov_deg: tuple[float, float] = FOV_DEG,
    points: np.ndarray | None = None,
) -> TrainingWindow:
    """A memory-mode window with probability p_memory (when the clip is long enough), else a plain one.

    c2w_latents: [num_latents, 4, 4] per-latent c2w (``latent_c2w``). Deterministic for a generator state.
    """
    c2w = np.asarray(c2w_latents, dtype=np.float64)
    if c2w.shape != (num_latents, 4, 4):
        raise ValueError(f"c2w_latents: expected [{num_latents}, 4, 4], got {list(c2w.shape)}")
    if not 0.0 <= p_memory <= 1.0:
        raise ValueError(f"p_memory must be in [0, 1], got {p_memory}")
    memory_latents = context_latents - temporal_chunks * chunk_latents
    if memory_latents < 0:
        raise ValueError(
            f"context_latents={context_latents} < temporal window {temporal_chunks * chunk_latents}"
        )
    plain_n = context_latents + target_latents if plain_latents is None else plain_latents
    use_memory = generator.random() < p_memory
    starts = target_starts(num_latents, context_latents, target_latents, chunk_latents)
    if not use_memory or len(starts) == 0:
        return plain_window(num_latents, plain_n, chunk_latents)
    s = int(starts[generator.integers(len(starts))])
    retrieved = retrieve_memory_chunks(
        c2w[:s], c2w[s : s + chunk_latents], temporal_chunks, memory_latents, chunk_latents,
        fov_deg=fov_deg, points=points,
    )  # fmt: skip
    plan = build_context(s, retrieved, temporal_chunks, chunk_latents, memory_latents, target_latents)
    n_ctx, n = len(plan.context), len(plan.context) + len(plan.target)
    ctx = np.asarray(plan.context, dtype=np.int64)
    chunks, inverse = np.unique(ctx // chunk_latents, return_inverse=True)
    noise = np.full(n, np.nan, dtype=np.float32)
    noise[:n_ctx] = context_times(
        len(chunks), generator, context_t_index, shift=schedule_shift, t_range=context_t_range
    )[inverse]
    loss = np.zeros(n, dtype=bool)
    loss[n_ctx:] = True
    return TrainingWindow(
        indices=plan.indices,
        time_index=reframe(plan, time_mode),
        chunk_id=np.arange(n, dtype=np.int64) // chunk_latents,
        loss_mask=loss,
        context_noise_t=noise,
        memory_mode=True,
        target_start=s,
    )
