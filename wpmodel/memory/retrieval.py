"""Spatial-memory retrieval: which past chunks to put in the context of the chunk being generated.

Release rule (REFERENCE.md section 1): candidates are the chunk starts ``h`` whose chunk lies wholly
before the temporal window (the last ``temporal_chunks`` chunks); each is scored by
``mean over the query latents q of ((1 - sim(q, h)) + (1 - sim(q, h + 2))) / 2`` with the
point-sampling FOV similarity (``manifests/fov.py``); lowest score first. Only latents h and h + 2 of each
candidate chunk are ever transformed, and all of them in one batch per query latent.
``method="worldmem"`` swaps the ranking for WorldMem's greedy coverage pick (``worldmem.py``).

``method="indexed"`` computes the same scores from a ``MemoryIndex`` (``index.py``: visibility bitsets
over world-fixed points, built once per latent as it is added), statistically equivalent to the
release's sampling and 100-300x faster per query on revisit-heavy histories (``benchmarks/memory_retrieval.py``).
Default ``method="auto"``: ``indexed`` when an ``index`` is passed (streaming generation keeps one and
adds each generated chunk: <= 20 ms per query over a 10k-latent history), else the exact release
method ``fov`` (a stateless call would have to build the index from scratch, 0.25-0.4 ms per latent,
slower than the exact method unless the history revisits the same places many times).
"""

from __future__ import annotations

import numpy as np

from manifests.fov import fov_similarity_batch, resolve_points
from wpmodel.memory.index import MemoryIndex

FOV_DEG = (60.0, 35.0)  # the release's retrieval FOV (full angles, degrees)


def candidate_starts(num_hist: int, temporal_chunks: int = 3, chunk_latents: int = 4) -> np.ndarray:
    """Start latents of the chunks wholly older than the temporal window: [C] int64."""
    if chunk_latents < 3:
        raise ValueError(f"chunk_latents must be >= 3 (latents h and h + 2 are scored), got {chunk_latents}")
    last = num_hist - temporal_chunks * chunk_latents - chunk_latents  # latest admissible start
    return np.arange(0, max(last + 1, 0), chunk_latents, dtype=np.int64)


def _check_inputs(c2w_latents: np.ndarray, query_latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hist = np.asarray(c2w_latents, dtype=np.float64)
    query = np.asarray(query_latents, dtype=np.float64)
    if hist.ndim != 3 or hist.shape[1:] != (4, 4):
        raise ValueError(f"c2w_latents: expected [N_hist, 4, 4], got {list(hist.shape)}")
    if query.ndim != 3 or query.shape[1:] != (4, 4) or len(query) == 0:
        raise ValueError(f"query_latents: expected [Q, 4, 4] with Q >= 1, got {list(query.shape)}")
    return hist, query


def _check_index(index: MemoryIndex, hist: np.ndarray, chunk_latents: int) -> None:
    """The index must hold exactly the history's poses, with latents h and h + 2 of every chunk."""
    if len(index) != len(hist) or not np.array_equal(index.c2w, hist):
        raise ValueError(f"index holds {len(index)} latents that are not c2w_latents ({len(hist)} latents)")
    if index.offsets is not None and (
        index.chunk_latents != chunk_latents or not {0, 2} <= set(index.offsets)
    ):
        raise ValueError(
            f"index indexes offsets {index.offsets} of {index.chunk_latents}-latent chunks; retrieval "
            f"scores offsets 0 and 2 of {chunk_latents}-latent chunks"
        )


def build_index(c2w_latents: np.ndarray, chunk_latents: int = 4, **kwargs) -> MemoryIndex:
    """A ``MemoryIndex`` holding ``c2w_latents`` [N, 4, 4] (kwargs: MemoryIndex settings)."""
    index = MemoryIndex(chunk_latents=chunk_latents, **kwargs)
    index.add(c2w_latents)
    return index


def chunk_scores(
    c2w_latents: np.ndarray,
    query_latents: np.ndarray,
    temporal_chunks: int = 3,
    chunk_latents: int = 4,
    num_points: int = 50_000,
    radius: float = 8.0,
    fov_deg: tuple[float, float] = FOV_DEG,
    max_dist: float = 8.0,
    points: np.ndarray | None = None,
    generator: np.random.Generator | None = None,
    index: MemoryIndex | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate chunk starts [C] and their release scores [C] (lower = more overlap).

    With ``index`` (holding exactly ``c2w_latents``) the similarities come from it (``index.py``);
    num_points, radius, fov_deg, max_dist, points and generator then do not apply (the index has its own).
    """
    hist, query = _check_inputs(c2w_latents, query_latents)
    starts = candidate_starts(len(hist), temporal_chunks, chunk_latents)  # [C]
    if len(starts) == 0:
        return starts, np.zeros(0, dtype=np.float64)
    cams = np.stack([starts, starts + 2], axis=1).reshape(-1)  # [2C] latents h, h + 2
    if index is not None:
        _check_index(index, hist, chunk_latents)
        sim = index.similarity(query, cams)  # [Q, 2C]
    else:
        pts = resolve_points(points, generator, num_points, radius)
        sim = fov_similarity_batch(
            query, hist[cams], radius=radius, fov_deg=fov_deg, max_dist=max_dist, points=pts
        )
    dist = (1.0 - sim).reshape(len(query), len(starts), 2)  # [Q, C, 2]
    return starts, dist.mean(axis=(0, 2))


def retrieve_memory_chunks(
    c2w_latents: np.ndarray,
    query_latents: np.ndarray,
    temporal_chunks: int = 3,
    memory_latents: int = 8,
    chunk_latents: int = 4,
    k: int | None = None,
    method: str = "auto",
    num_points: int = 50_000,
    radius: float = 8.0,
    fov_deg: tuple[float, float] = FOV_DEG,
    max_dist: float = 8.0,
    points: np.ndarray | None = None,
    generator: np.random.Generator | None = None,
    index: MemoryIndex | None = None,
) -> list[int]:
    """Start latent of each retrieved chunk, best first (at most ``k``, default memory_latents // chunk_latents).

    c2w_latents: [N_hist, 4, 4] c2w of the latents generated so far; query_latents: [Q, 4, 4] c2w of
    the chunk being generated (Q = chunk_latents). The first chunk may be among the results;
    ``context.build_context`` deduplicates it and fills memory in this order. Ties keep the older chunk.
    method: ``auto`` (``indexed`` if ``index`` is given, else ``fov``), ``fov`` (exact release
    sampling), ``indexed`` (``index``, or one built here from c2w_latents), ``worldmem``.
    """
    k = memory_latents // chunk_latents if k is None else int(k)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if method == "worldmem":
        from wpmodel.memory.worldmem import worldmem_select

        hist, query = _check_inputs(c2w_latents, query_latents)
        starts = candidate_starts(len(hist), temporal_chunks, chunk_latents)
        pts = resolve_points(points, generator, num_points, radius)
        return worldmem_select(hist, query, starts, k, pts, fov_deg, max_dist)
    if method == "auto":
        method = "fov" if index is None else "indexed"
    if method not in ("fov", "indexed"):
        raise ValueError(f"method must be 'auto', 'fov', 'indexed' or 'worldmem', got {method!r}")
    if method == "indexed" and index is None:
        index = build_index(
            c2w_latents,
            chunk_latents,
            num_points=num_points,
            radius=radius,
            fov_deg=fov_deg,
            max_dist=max_dist,
        )
    starts, scores = chunk_scores(
        c2w_latents, query_latents, temporal_chunks, chunk_latents,
        num_points, radius, fov_deg, max_dist, points, generator, index if method == "indexed" else None,
    )  # fmt: skip
    order = np.argsort(scores, kind="stable")[:k]
    return [int(s) for s in starts[order]]
