"""WebDataset shards of annotated clips / renders (pure: paths and bytes in, files out; no Ray).

Modules: ``plan`` (samples, keys, windows, split, shard assignment), ``meta`` (a sample's json),
``sample`` (a sample's member bytes, validated), ``writer`` (deterministic tar written atomically),
``index`` (the wids index), ``latent_file`` (the time-major latent.safetensors member), ``shard_index`` (a shard's sidecar index for fast latent reads), ``paths`` (manifest paths that may not escape the dataset root).
"""

from wpdata.shards.index import IndexEntry, wids_index, write_wids_index
from wpdata.shards.latent_file import CHANNEL_MAJOR, TIME_MAJOR, latent_layout, latent_safetensors
from wpdata.shards.meta import sample_meta
from wpdata.shards.paths import relative_to_manifests, resolve_in_root
from wpdata.shards.plan import (
    SHORTER_THAN_WINDOW,
    PlanConfig,
    PlannedSample,
    PlannedShard,
    ShardPlan,
    assign_shards,
    make_plan,
    plan_samples,
    split_of,
    window_starts,
)
from wpdata.shards.sample import (
    EncodeSettings,
    ItemArrays,
    build_sample,
    cut_window,
    json_bytes,
    load_item_arrays,
    npy_bytes,
    window_arrays,
)
from wpdata.shards.shard_index import IndexBuilder, index_path, write_index
from wpdata.shards.writer import ShardResult, ShardWriter, write_shard

__all__ = [
    "CHANNEL_MAJOR",
    "TIME_MAJOR",
    "SHORTER_THAN_WINDOW",
    "EncodeSettings",
    "IndexBuilder",
    "IndexEntry",
    "ItemArrays",
    "PlanConfig",
    "PlannedSample",
    "PlannedShard",
    "ShardPlan",
    "ShardResult",
    "ShardWriter",
    "assign_shards",
    "build_sample",
    "cut_window",
    "index_path",
    "json_bytes",
    "latent_layout",
    "latent_safetensors",
    "load_item_arrays",
    "make_plan",
    "npy_bytes",
    "plan_samples",
    "relative_to_manifests",
    "resolve_in_root",
    "sample_meta",
    "split_of",
    "wids_index",
    "window_arrays",
    "window_starts",
    "write_index",
    "write_shard",
    "write_wids_index",
]
