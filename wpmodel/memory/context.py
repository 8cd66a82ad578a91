"""Reconstituted context for the chunk being generated, and temporal reframing of its RoPE time indices.

Context (release numbers, REFERENCE.md section 1): the last ``temporal_chunks`` chunks (temporal
memory, 12 latents), the first chunk always, and retrieved chunks in retrieval order until the
spatial memory (first chunk + retrieved) holds ``memory_latents`` (8) latents: 20 context latents,
then the 4 target latents, a 24-latent window. Reframing gives the context contiguous time indices
``0..n-1`` in sorted order and the target ``n..n+3``, so a chunk from far in the past sits at a small
relative distance; ``mode="absolute"`` keeps the original latent indices (the ablation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ContextPlan:
    """Which latents form the context of one target chunk (all indices are absolute latent indices)."""

    context: tuple[int, ...]  # sorted, unique: temporal + first chunk + retrieved
    target: tuple[int, ...]  # the chunk being generated
    temporal: tuple[int, ...]  # the last temporal_chunks chunks (sorted)
    memory: tuple[int, ...]  # first chunk + retrieved chunks not already temporal (sorted)
    retrieved: tuple[int, ...]  # start latents of the retrieved chunks actually used, in retrieval order

    @property
    def indices(self) -> np.ndarray:
        """Context then target latent indices: [n_context + n_target] int64."""
        return np.asarray(self.context + self.target, dtype=np.int64)


def build_context(
    num_generated_latents: int,
    retrieved: Sequence[int],
    temporal_chunks: int = 3,
    chunk_latents: int = 4,
    memory_latents: int = 8,
    target_latents: int | None = None,
) -> ContextPlan:
    """The context plan for the chunk starting at latent ``num_generated_latents``.

    ``retrieved``: chunk start latents from ``retrieve_memory_chunks`` (best first); chunks already in
    the temporal window or the first chunk are skipped, and a chunk that would overflow the memory is
    skipped, so the context never exceeds temporal_chunks * chunk_latents + memory_latents latents.
    """
    n = int(num_generated_latents)
    if n < 0 or chunk_latents < 1 or temporal_chunks < 0 or memory_latents < 0:
        raise ValueError(
            f"bad context sizes: num_generated={n}, chunk_latents={chunk_latents}, "
            f"temporal_chunks={temporal_chunks}, memory_latents={memory_latents}"
        )
    n_target = chunk_latents if target_latents is None else int(target_latents)
    temporal = set(range(max(0, n - temporal_chunks * chunk_latents), n))
    first = set(range(min(chunk_latents, n))) - temporal
    memory = first if len(first) <= memory_latents else set()  # the first chunk, when it fits
    used: list[int] = []
    for h in retrieved:
        h = int(h)
        if not 0 <= h < n:
            raise ValueError(f"retrieved chunk start {h} is outside the {n} generated latents")
        new = set(range(h, min(h + chunk_latents, n))) - temporal - memory
        if not new or len(memory) + len(new) > memory_latents:
            continue
        memory |= new
        used.append(h)
    return ContextPlan(
        context=tuple(sorted(temporal | memory)),
        target=tuple(range(n, n + n_target)),
        temporal=tuple(sorted(temporal)),
        memory=tuple(sorted(memory)),
        retrieved=tuple(used),
    )


def reframe(plan: ContextPlan, mode: str = "reframed") -> np.ndarray:
    """RoPE time index of each latent of ``plan.indices``: [n_context + n_target] int64.

    ``reframed``: context 0..n-1 in sorted order, target n..n+T-1. ``absolute``: the original indices.
    """
    if mode == "reframed":
        return np.arange(len(plan.context) + len(plan.target), dtype=np.int64)
    if mode == "absolute":
        return plan.indices
    raise ValueError(f"mode must be 'reframed' or 'absolute', got {mode!r}")
