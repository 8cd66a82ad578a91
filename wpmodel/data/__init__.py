"""The trainer's data: WebDataset shards (layout: ``manifests.layout``) -> windowed training batches.

Modules: ``decode`` (mp4 bytes -> frames, PyAV), ``window`` (chunk-aligned windows, pose re-centring),
``sample`` (raw sample -> TrainSample, bad samples counted), ``stats`` (SkipCounter), ``collate``
(batches), ``loader`` (ShardReader / Loader / make_loader: split by rank and worker), ``tar_reader``
(local shards via mmap, members as zero-copy views), ``safetensors_view`` (zero-copy safetensors),
``npy`` (cached-header .npy views), ``latent_slab`` (latent windows ``preadv``-ed from local shards
straight into the batch; batch buffers reused once dropped), ``shard_index`` (a shard's sidecar index,
checked against its tar), ``indexed`` / ``indexed_batch`` (latents mode: samples of indexed shards
windowed per shard and batched with a few numpy operations per batch).

Batches: ``video`` uint8 [B, T, 3, H, W] (normalise on the device with ``to_unit_range``) or
``latents`` [B, T_lat, C, h, w] in their stored dtype (from ``latent.safetensors`` stored time-major
``[T_lat, C, h, w]``, layout TCHW, or channel-major ``[C, T_lat, h, w]``: ``latent_slab``), ``c2w`` [B, T, 4, 4], ``K`` [B, T, 3, 3],
``actions`` [B, T_lat], ``caption_embedding`` [B, D], ``has_caption``, ``window_start``, ``keys``, ``meta``.
"""

from wpmodel.data.collate import collate, empty_batch, to_unit_range
from wpmodel.data.decode import Decoded, DecodeError, decode_mp4, decode_mp4_unit, to_unit_planar
from wpmodel.data.loader import Loader, ShardReader, assign_shards, make_loader, resolve_shards
from wpmodel.data.safetensors_view import load_safetensors
from wpmodel.data.sample import SampleConfig, SampleError, TrainSample, decode_sample, parse_sample
from wpmodel.data.stats import SkipCounter
from wpmodel.data.tar_reader import iter_samples
from wpmodel.data.window import CHUNK_LATENTS, pick_window, recenter, window_frames, window_starts

__all__ = [
    "CHUNK_LATENTS",
    "DecodeError",
    "Decoded",
    "Loader",
    "SampleConfig",
    "SampleError",
    "ShardReader",
    "SkipCounter",
    "TrainSample",
    "assign_shards",
    "collate",
    "decode_mp4",
    "decode_mp4_unit",
    "decode_sample",
    "empty_batch",
    "iter_samples",
    "load_safetensors",
    "make_loader",
    "parse_sample",
    "pick_window",
    "recenter",
    "resolve_shards",
    "to_unit_planar",
    "to_unit_range",
    "window_frames",
    "window_starts",
]
