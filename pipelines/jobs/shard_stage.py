"""The stage of ``wp shard`` that writes one shard per item, and the record it leaves per shard.

A shard's samples are built one by one (``wpdata.shards.build_sample``: paths resolved under the
dataset root, arrays loaded, window cut) and streamed into a ``ShardWriter`` in key order. A sample
that cannot be built is left out of the shard and recorded ``failed`` with its reason; a shard none of
whose samples could be built writes no tar and fails. Per-sample outcomes go to a status record
``<out>/shards/.status/<shard_id>.json`` (written atomically, deterministic bytes) that the job turns
into the ``samples`` manifest and that a rerun checks (with the tar's sha256) to skip complete shards.

Latent hook: ``latents`` maps a sample key to a picklable zero-argument callable returning the
``latent.safetensors`` bytes of that sample (the latent pre-encoding stage provides it); samples
without an entry get no latent member; a producer that raises fails its sample (left out of the shard,
with the reason). A producer's optional ``fingerprint`` attribute goes into the shard's digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manifests.atomic import atomic_write_text
from pipelines.jobs.shard_inputs import video_rel_path
from pipelines.runtime import Stage
from pipelines.runtime.stage import error_message
from wpdata.shards import (
    EncodeSettings,
    PlannedShard,
    ShardWriter,
    build_sample,
    json_bytes,
    load_item_arrays,
    resolve_in_root,
    sample_meta,
)

SHARDS_SUBDIR = "shards"
STATUS_SUBDIR = ".status"
LatentProducer = Callable[[], bytes]


@dataclass(frozen=True)
class ShardTask:
    """Everything needed to write one planned shard."""

    shard: PlannedShard
    rows: dict[str, dict]  # item_id -> joined row
    digest: str  # of the plan, rows and encode settings: a status record with another digest is stale

    @property
    def shard_id(self) -> str:
        return self.shard.shard_id


def shard_path(out_dir: str | Path, shard_id: str) -> Path:
    """``<out>/shards/<shard_id>.tar``."""
    return Path(out_dir) / SHARDS_SUBDIR / f"{shard_id}.tar"


def status_path(out_dir: str | Path, shard_id: str) -> Path:
    """``<out>/shards/.status/<shard_id>.json``."""
    return Path(out_dir) / SHARDS_SUBDIR / STATUS_SUBDIR / f"{shard_id}.json"


def latent_fingerprints(latents: Mapping[str, LatentProducer], keys: Sequence[str]) -> dict[str, str]:
    """sample key -> its producer's ``fingerprint`` (what decides the latent bytes; "" when it has none)."""
    return {k: str(getattr(latents[k], "fingerprint", "")) for k in sorted(keys) if k in latents}


def task_digest(
    shard: PlannedShard,
    rows: Mapping[str, dict],
    encode: EncodeSettings,
    latent_keys: Mapping[str, str] | Sequence[str],
) -> str:
    """sha256 of what decides a shard's bytes (sample plan, item rows, encode settings, latents: the
    keys with latents, or key -> fingerprint of the latent bytes, so re-encoded latents rewrite it)."""
    spec = {
        "samples": [asdict(s) for s in shard.samples],
        "rows": {i: rows[i] for i in sorted(rows)},
        "encode": asdict(encode),
        "latents": dict(sorted(latent_keys.items()))
        if isinstance(latent_keys, Mapping)
        else sorted(latent_keys),
    }
    return hashlib.sha256(json_bytes(spec)).hexdigest()


def read_status(out_dir: str | Path, shard_id: str) -> dict | None:
    """The status record of a shard, or None when absent or unreadable."""
    p = status_path(out_dir, shard_id)
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


class WriteShardStage(Stage):
    """Writes the shard of each item (``shards`` row in, ``shards`` row out)."""

    name = "write_shard"

    def __init__(
        self,
        tasks: dict[str, ShardTask],
        root: str | Path,
        out_dir: str | Path,
        encode: EncodeSettings,
        extra_roots: Sequence[str] = (),
        latents: Mapping[str, LatentProducer] | None = None,
        num_cpus: float = 1,
    ) -> None:
        self.tasks = tasks
        self.root = str(root)
        self.out_dir = str(out_dir)
        self.encode = encode
        self.extra_roots = tuple(extra_roots)
        self.latents = dict(latents or {})
        self.num_cpus = num_cpus

    def _resolve(self, rel: str | None, what: str, item_id: str) -> Path:
        if not rel:
            raise ValueError(f"item {item_id}: annotation has no {what}")
        return resolve_in_root(rel, self.root, extra_roots=self.extra_roots)

    def _members(self, sample: Any, row: dict) -> dict[str, bytes]:
        video = self._resolve(video_rel_path(row), "video_path", sample.item_id)
        poses = self._resolve(row.get("pose_path"), "pose_path", sample.item_id)
        actions = self._resolve(row.get("actions_path"), "actions_path", sample.item_id)
        arrays = load_item_arrays(poses, actions)
        meta = sample_meta(row, sample.sample_key, sample.window_start, sample.window_len, sample.windowed)
        window = (sample.window_start, sample.window_len) if sample.windowed else None
        producer = self.latents.get(sample.sample_key)
        latent = producer() if producer is not None else None
        emb_rel = row.get("caption_embedding_path")
        emb = None
        if emb_rel:
            emb = np.load(
                self._resolve(emb_rel, "caption_embedding_path", sample.item_id), allow_pickle=False
            )
        return build_sample(video, arrays, meta, window, self.encode, latent, emb)

    def process(self, item: dict) -> dict:
        task = self.tasks[item["shard_id"]]
        record = status_path(self.out_dir, task.shard_id)
        record.unlink(missing_ok=True)
        outcomes: list[dict] = []
        writer = ShardWriter(shard_path(self.out_dir, task.shard_id), index=True)  # + sidecar index
        try:
            with writer:
                for sample in task.shard.samples:
                    try:
                        members = self._members(sample, task.rows[sample.item_id])
                    except Exception as exc:  # noqa: BLE001 - a bad sample is a failed row, not a failed shard
                        outcomes.append(
                            {"sample_key": sample.sample_key, "status": "failed", "error": error_message(exc)}
                        )
                        continue
                    writer.write(sample.sample_key, members)
                    size = sum(len(b) for b in members.values())
                    outcomes.append({"sample_key": sample.sample_key, "status": "ok", "num_bytes": size})
                if writer.num_samples == 0:
                    raise RuntimeError(f"all {len(outcomes)} samples failed; first: {outcomes[0]['error']}")
        finally:
            result = writer.result
            rec = {
                "shard_id": task.shard_id,
                "digest": task.digest,
                "sha256": result.sha256 if result else None,
                "samples": outcomes,
            }
            if len(outcomes) == len(task.shard.samples):
                atomic_write_text(record, json.dumps(rec, indent=1, sort_keys=True) + "\n")
        return {
            **item,
            "num_samples": result.num_samples,
            "num_bytes": result.num_bytes,
            "sha256": result.sha256,
        }
