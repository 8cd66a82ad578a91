"""Reconstituted context memory (REFERENCE.md section 1): FOV retrieval, context assembly, temporal
reframing and memory-mode training windows. Pure numpy on poses; imports manifests only.

Modules: ``fov`` (point-sampling FOV similarity), ``index`` (MemoryIndex: the same similarity from
visibility bitsets over world-fixed points, ``grid``, built once per latent; fast streaming retrieval),
``retrieval`` (release chunk scores and ranking),
``worldmem`` (WorldMem's greedy coverage variant), ``context`` (ContextPlan, build_context, reframe),
``window`` (TrainingWindow, sample_training_window, latent_c2w).
"""

from manifests.fov import default_points, fov_similarity, fov_similarity_batch, sample_ball_points
from wpmodel.memory.context import ContextPlan, build_context, reframe
from wpmodel.memory.grid import PointGrid
from wpmodel.memory.index import MemoryIndex
from wpmodel.memory.retrieval import build_index, candidate_starts, chunk_scores, retrieve_memory_chunks
from wpmodel.memory.window import (
    TrainingWindow,
    context_times,
    latent_c2w,
    merge_timesteps,
    plain_window,
    sample_training_window,
)
from wpmodel.memory.worldmem import worldmem_select

__all__ = [
    "ContextPlan",
    "MemoryIndex",
    "PointGrid",
    "TrainingWindow",
    "build_context",
    "build_index",
    "candidate_starts",
    "chunk_scores",
    "context_times",
    "default_points",
    "fov_similarity",
    "fov_similarity_batch",
    "latent_c2w",
    "merge_timesteps",
    "plain_window",
    "reframe",
    "retrieve_memory_chunks",
    "sample_ball_points",
    "sample_training_window",
    "worldmem_select",
]
