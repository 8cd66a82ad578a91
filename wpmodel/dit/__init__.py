"""The WorldPlay DiT and its flow-matching objective (REFERENCE.md section 1).

Modules: ``config`` (DiTConfig, presets tiny/small/1b), ``model`` (WorldPlayDiT, count_parameters),
``block`` (adaLN-Zero block), ``attention`` (RoPE + block-causal + PRoPE branch + KV cache),
``rope`` (3D RoPE), ``prope`` (PRoPE transforms, normalize_intrinsics), ``mask`` (block-causal mask,
explicit per-latent visibility), ``kv_cache`` (KVCache for streaming), ``embeddings``
(timestep/action/caption/patches), ``flow`` (per-chunk timesteps, noising, loss, Euler sampler).
"""

from wpmodel.dit.config import PRESETS, DiTConfig
from wpmodel.dit.flow import (
    add_noise,
    euler_sample,
    flow_loss,
    sample_chunk_timesteps,
    shift_time,
    time_grid,
    velocity_target,
)
from wpmodel.dit.kv_cache import KVCache
from wpmodel.dit.mask import block_causal_mask
from wpmodel.dit.model import WorldPlayDiT, count_parameters
from wpmodel.dit.prope import normalize_intrinsics, projection_matrices

__all__ = [
    "PRESETS",
    "DiTConfig",
    "KVCache",
    "WorldPlayDiT",
    "add_noise",
    "block_causal_mask",
    "count_parameters",
    "euler_sample",
    "flow_loss",
    "normalize_intrinsics",
    "projection_matrices",
    "sample_chunk_timesteps",
    "shift_time",
    "time_grid",
    "velocity_target",
]
