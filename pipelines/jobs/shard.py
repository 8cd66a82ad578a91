"""Job ``shard``: annotated clips / renders of a job folder -> WebDataset shards, manifests, wids index.

Reads ``<root>/manifests/annotations.parquet`` (``ok`` rows) joined with ``clips`` / ``renders`` by item
id (``shard_inputs``), plans samples and shards (``wpdata.shards.make_plan``), and writes under ``out``:

- ``shards/<shard_id>.tar``: one Ray item per shard, :class:`WriteShardStage` (``num_cpus`` from the
  config), each tar written under a temporary name and renamed when complete;
- ``manifests/shards.parquet`` (``run_job``, table ``shards``): path, count, bytes, sha256, index;
- ``manifests/samples.parquet``: every planned sample, ``dropped`` ones with their reason, ``failed``
  ones with theirs (a sample that could not be built, or every sample of a shard that failed);
- ``shards/<split>.wids.json``: the wids index of each split's ``ok`` shards;
- ``jobs/shard/{config.yaml,summary.json,samples_summary.json}``.

Resume: a shard is skipped when its ``ok`` row exists, the tar's sha256 matches the row and its status
record says it was written from the same plan with no failed sample; everything else is (re)written.
Paths in manifests are relative to ``<out>/manifests``. Latents: with ``latents.vae_path`` set, every
planned sample is first encoded by the ``encode_latents`` job (``<out>/latents/``, table ``latents``);
see ``encode_latents`` and ``shard_stage`` (``latents``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from manifests.atomic import atomic_write_text
from manifests.ids import file_sha256
from manifests.io import write_manifest
from manifests.schemas import rows_to_table
from pipelines.jobs.encode_latents import prepare_latents, run_latents
from pipelines.jobs.shard_config import ShardConfig
from pipelines.jobs.shard_inputs import joined_rows
from pipelines.jobs.shard_stage import (
    SHARDS_SUBDIR,
    LatentProducer,
    ShardTask,
    WriteShardStage,
    latent_fingerprints,
    read_status,
    shard_path,
    task_digest,
)
from pipelines.runtime import JobSummary, ray_session, run_job
from pipelines.runtime.job import job_dir
from pipelines.runtime.store import manifest_path, read_rows_table
from wpdata.shards import IndexEntry, ShardPlan, make_plan, relative_to_manifests, write_wids_index

SHARD_JOB = "shard"


@dataclass
class ShardJobResult:
    """What ``shard`` wrote."""

    summary: JobSummary  # of the shards table
    samples_path: Path
    index_paths: dict[str, Path] = field(default_factory=dict)  # split -> wids index
    skipped_shards: list[str] = field(default_factory=list)  # complete from an earlier run
    samples_by_status: dict[str, int] = field(default_factory=dict)
    latents: JobSummary | None = None  # of the latents table, when latents were encoded
    skipped_latents: list[str] = field(default_factory=list)  # sample keys encoded by an earlier run


def index_path(out_dir: str | Path, split: str) -> Path:
    """``<out>/shards/<split>.wids.json``."""
    return Path(out_dir) / SHARDS_SUBDIR / f"{split}.wids.json"


def _tasks(
    plan: ShardPlan, rows: list[dict], cfg: ShardConfig, latents: Mapping[str, LatentProducer]
) -> dict[str, ShardTask]:
    by_id = {str(r["item_id"]): r for r in rows}
    tasks = {}
    for sh in plan.shards:
        shard_rows = {s.item_id: by_id[s.item_id] for s in sh.samples}
        prints = latent_fingerprints(latents, [s.sample_key for s in sh.samples])
        tasks[sh.shard_id] = ShardTask(sh, shard_rows, task_digest(sh, shard_rows, cfg.encode, prints))
    return tasks


def _complete(out_dir: Path, tasks: dict[str, ShardTask]) -> list[str]:
    """Planned shards already written completely from the same plan (see the module docstring)."""
    tbl = read_rows_table(out_dir, "shards", "shard_id")
    rows = {r["shard_id"]: r for r in (tbl.to_pylist() if tbl is not None else [])}
    done = []
    for sid, task in sorted(tasks.items()):
        row, rec, tar = rows.get(sid), read_status(out_dir, sid), shard_path(out_dir, sid)
        if row is None or row["status"] != "ok" or rec is None or not tar.is_file():
            continue
        clean = all(s["status"] == "ok" for s in rec["samples"])
        if clean and rec["digest"] == task.digest and rec["sha256"] == row["sha256"] == file_sha256(tar):
            done.append(sid)
    return done


def _sample_rows(out_dir: Path, plan: ShardPlan, shard_rows: dict[str, dict]) -> list[dict]:
    outcome: dict[str, dict] = {}
    for sid in {s.shard_id for s in plan.samples if s.shard_id}:
        rec = read_status(out_dir, sid)
        if rec is not None:
            outcome.update({o["sample_key"]: o for o in rec["samples"]})
    rows = []
    for s in plan.samples:
        if s.status != "ok":
            rows.append(s.manifest_row())
            continue
        o = outcome.get(s.sample_key)
        if o is None:
            err = (shard_rows.get(s.shard_id) or {}).get("error") or "its shard was not written"
            rows.append(
                s.manifest_row(shard_id=None, status="failed", error=f"shard {s.shard_id} failed: {err}")
            )
        elif o["status"] == "ok":
            rows.append(s.manifest_row(num_bytes=o["num_bytes"]))
        else:  # left out of its shard
            rows.append(s.manifest_row(shard_id=None, status="failed", error=o["error"]))
    return rows


def _final_shards(out_dir: Path, planned: set[str]) -> dict[str, dict]:
    """The shards manifest restricted to planned shards (rows of other plans are removed)."""
    path = manifest_path(out_dir, "shards")
    tbl = read_rows_table(out_dir, "shards", "shard_id")
    if tbl is None:
        return {}
    keep = [sid in planned for sid in tbl.column("shard_id").to_pylist()]
    if not all(keep):
        tbl = tbl.filter(pa.array(keep))
        write_manifest(path, tbl, "shards")
    return {r["shard_id"]: r for r in tbl.to_pylist()}


def _write_indexes(out_dir: Path, shard_rows: dict[str, dict]) -> dict[str, Path]:
    by_split: dict[str, list[IndexEntry]] = {}
    for sid, r in sorted(shard_rows.items()):
        if r["status"] == "ok":
            by_split.setdefault(r["split"], []).append(
                IndexEntry(shard_path(out_dir, sid), r["num_samples"], r["num_bytes"])
            )
    return {
        split: write_wids_index(e, index_path(out_dir, split), split) for split, e in sorted(by_split.items())
    }


def shard(
    root: str | Path,
    out_dir: str | Path,
    *,
    config: ShardConfig | None = None,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: bool = True,
    num_cpus: int | None = None,
    latents: Mapping[str, LatentProducer] | None = None,
) -> ShardJobResult:
    """Shard the annotated items of the job folder ``root`` into ``out_dir`` (see the module docstring).

    ``latents`` (the latent pre-encoding hook): sample key -> picklable callable returning that sample's
    ``latent.safetensors`` bytes. When it is None and ``config.latents.vae_path`` is set, the samples
    are encoded first (``encode_latents``, in the same Ray session) and their files used.
    Raises FileNotFoundError when ``root`` has no annotations manifest.
    """
    cfg = config or ShardConfig()
    root, out_dir = Path(root), Path(out_dir)
    rows = joined_rows(root, cfg.paths.extra_roots)
    plan = make_plan(rows, cfg.plan)
    run = {"address": address, "workers": workers, "progress": progress, "num_cpus": num_cpus}
    if latents is not None or not cfg.latents.vae_path:
        return _write(root, out_dir, cfg, rows, plan, resume, latents or {}, run)
    job = prepare_latents(root, out_dir, cfg, rows, plan, resume)
    # one embedded Ray for both jobs when there is encoding to do; none when everything is complete
    with ray_session(address, num_cpus=num_cpus) if job.todo else nullcontext():
        enc = run_latents(job, **run)
        result = _write(root, out_dir, cfg, rows, plan, resume, enc.producers, run)
    result.latents, result.skipped_latents = enc.summary, enc.skipped
    return result


def _write(
    root: Path,
    out_dir: Path,
    cfg: ShardConfig,
    rows: list[dict],
    plan: ShardPlan,
    resume: bool,
    latents: Mapping[str, LatentProducer],
    run: dict,
) -> ShardJobResult:
    """The shard-writing job of ``shard`` once the latents (if any) are known."""
    address, workers, progress, num_cpus = run["address"], run["workers"], run["progress"], run["num_cpus"]
    tasks = _tasks(plan, rows, cfg, latents)
    items = [
        {
            "shard_id": sh.shard_id,
            "split": sh.split,
            "path": relative_to_manifests(shard_path(out_dir, sh.shard_id), out_dir),
            "index_path": relative_to_manifests(index_path(out_dir, sh.split), out_dir),
        }
        for sh in plan.shards
    ]
    skipped = _complete(out_dir, tasks) if resume else []
    todo = [it for it in items if it["shard_id"] not in skipped]
    stage = WriteShardStage(
        tasks, root, out_dir, cfg.encode, cfg.paths.extra_roots, latents, cfg.write.num_cpus
    )
    job_config = {**cfg.to_dict(), "root": str(root.resolve()), "workers": workers, "skipped_shards": skipped}
    summary = run_job(
        SHARD_JOB,
        "shards",
        todo,
        [stage],
        out_dir,
        address=address,
        resume=False,  # completeness is checked above (sha256 + plan digest), not by row status alone
        config=job_config,
        progress=progress,
        concurrency=workers,
        num_cpus=num_cpus,
    )
    shard_rows = _final_shards(out_dir, set(tasks))
    sample_rows = _sample_rows(out_dir, plan, shard_rows)
    samples_path = write_manifest(manifest_path(out_dir, "samples"), rows_to_table("samples", sample_rows))
    counts = dict(sorted(Counter(r["status"] for r in sample_rows).items()))
    reasons = dict(sorted(Counter(d for r in sample_rows for d in r["drop_reasons"]).items()))
    atomic_write_text(
        job_dir(out_dir, SHARD_JOB) / "samples_summary.json",
        json.dumps({"by_status": counts, "by_drop_reason": reasons, "skipped_shards": skipped}, indent=2)
        + "\n",
    )
    return ShardJobResult(summary, samples_path, _write_indexes(out_dir, shard_rows), skipped, counts)
