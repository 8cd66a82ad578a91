"""Job ``encode_latents``: the latent pre-encoding of ``wp shard`` (VAE latents per planned sample).

For every ``ok`` sample of the shard plan (``wpdata.shards.make_plan`` over the same joined rows
``wp shard`` uses), :class:`~pipelines.jobs.encode_latents_stage.EncodeLatentsStage` (an actor pool:
the VAE is loaded once per worker, ``num_gpus`` from the config) encodes the sample's frames and
writes ``<out>/latents/<sample_key>.safetensors`` atomically. ``shard`` then gets one producer per
sample (:class:`LatentFile`, or :class:`LatentFailure`) and stores the bytes as the sample's
``latent.safetensors`` member.

Table: ``latents`` (``manifests.schemas``; id ``sample_key``), its own table rather than more
``samples`` columns: ``samples`` is rewritten whole by every shard run from the plan (what went into
which shard), while latents are a resumable per-sample product of a model, with their own identity
(``vae_hash``, ``dtype``), file checksum and failure reasons; ``wp export hy-worldplay`` reads it.

Resume: a sample is skipped when its latest row is ``ok``, its file exists with the row's sha256, and
the row was written with the same VAE hash, dtype, window and path; everything else is (re)encoded,
``failed`` rows included.

Failures: a sample whose encoding fails (or every sample, when the VAE cannot be loaded: the stage's
setup fails) gets a ``failed`` row with the reason. ``shard`` leaves such a sample OUT of its shard
(its ``samples`` row is ``failed`` with "latent encoding failed: <reason>") rather than writing it
without latents: a latent dataset stays uniform, and nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.jobs.encode_latents_stage import EncodeLatentsStage, LatentTask, latent_file, vae_identity
from pipelines.jobs.shard_config import ShardConfig
from pipelines.jobs.shard_inputs import joined_rows, video_rel_path
from pipelines.runtime import JobSummary, run_job
from pipelines.runtime.store import read_rows_table
from wpdata.shards import ShardPlan, make_plan, relative_to_manifests

ENCODE_LATENTS_JOB = "encode_latents"


@dataclass(frozen=True)
class LatentFile:
    """Producer of one sample's ``latent.safetensors`` bytes: the encoded file, checked against its sha256."""

    path: str
    sha256: str

    @property
    def fingerprint(self) -> str:
        """What decides the bytes (``shard`` puts it in the shard's digest)."""
        return self.sha256

    def __call__(self) -> bytes:
        data = Path(self.path).read_bytes()
        got = hashlib.sha256(data).hexdigest()
        if got != self.sha256:
            raise ValueError(f"{self.path}: changed since it was encoded (sha256 {got}, row {self.sha256})")
        return data


@dataclass(frozen=True)
class LatentFailure:
    """Producer standing for a sample whose encoding failed: raises, so ``shard`` fails the sample."""

    error: str

    @property
    def fingerprint(self) -> str:
        return "failed"

    def __call__(self) -> bytes:
        raise RuntimeError(f"latent encoding failed: {self.error}")


@dataclass
class EncodeLatentsResult:
    """What ``encode_latents`` wrote."""

    summary: JobSummary  # of the latents table
    producers: dict[str, LatentFile | LatentFailure] = field(default_factory=dict)  # sample_key -> producer
    skipped: list[str] = field(default_factory=list)  # sample keys complete from an earlier run


def latent_tasks(plan: ShardPlan, rows: list[dict]) -> dict[str, LatentTask]:
    """One task per ``ok`` planned sample, keyed by sample key."""
    by_id = {str(r["item_id"]): r for r in rows}
    tasks = {}
    for s in plan.samples:
        if s.status != "ok":
            continue
        row = by_id[s.item_id]
        tasks[s.sample_key] = LatentTask(
            sample_key=s.sample_key,
            item_id=s.item_id,
            video_path=str(video_rel_path(row) or ""),
            window_start=s.window_start,
            window_len=s.window_len,
            windowed=s.windowed,
            width=s.width,
            height=s.height,
            caption_embedding_path=row.get("caption_embedding_path"),
        )
    return tasks


def _items(
    tasks: dict[str, LatentTask], out_dir: Path, cfg: ShardConfig, vae: str, vae_hash: str
) -> list[dict]:
    return [
        {
            "sample_key": key,
            "item_id": t.item_id,
            "path": relative_to_manifests(latent_file(out_dir, key), out_dir),
            "window_start": t.window_start,
            "window_len": t.window_len,
            "windowed": t.windowed,
            "dtype": cfg.latents.dtype,
            "vae": vae,
            "vae_hash": vae_hash,
        }
        for key, t in sorted(tasks.items())
    ]


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _complete(out_dir: Path, items: list[dict]) -> list[str]:
    """Sample keys whose ok row matches the item (VAE, dtype, window, path) and whose file is intact."""
    tbl = read_rows_table(out_dir, "latents", "sample_key")
    rows = {r["sample_key"]: r for r in (tbl.to_pylist() if tbl is not None else [])}
    same = ("item_id", "path", "window_start", "window_len", "dtype", "vae_hash")
    done = []
    for it in items:
        row = rows.get(it["sample_key"])
        if row is None or row["status"] != "ok" or any(row[k] != it[k] for k in same):
            continue
        if row["sha256"] and _file_sha256(latent_file(out_dir, it["sample_key"])) == row["sha256"]:
            done.append(it["sample_key"])
    return done


def _producers(out_dir: Path, keys: set[str]) -> dict[str, LatentFile | LatentFailure]:
    tbl = read_rows_table(out_dir, "latents", "sample_key")
    out: dict[str, LatentFile | LatentFailure] = {}
    for r in tbl.to_pylist() if tbl is not None else []:
        key = r["sample_key"]
        if key not in keys:
            continue
        if r["status"] == "ok":
            out[key] = LatentFile(str(latent_file(out_dir, key).resolve()), r["sha256"])
        else:
            out[key] = LatentFailure(r["error"] or f"status {r['status']}")
    return out


@dataclass
class LatentJob:
    """A prepared ``encode_latents`` run: its items and the sample keys an earlier run completed."""

    root: Path
    out_dir: Path
    cfg: ShardConfig
    tasks: dict[str, LatentTask]
    items: list[dict]  # latents rows to be
    skipped: list[str]
    vae: str
    vae_hash: str

    @property
    def todo(self) -> list[dict]:
        done = set(self.skipped)
        return [it for it in self.items if it["sample_key"] not in done]


def prepare_latents(
    root: str | Path,
    out_dir: str | Path,
    config: ShardConfig,
    rows: list[dict] | None = None,
    plan: ShardPlan | None = None,
    resume: bool = True,
) -> LatentJob:
    """Items of every ``ok`` planned sample and which of them are complete (see the module docstring).

    ``rows`` / ``plan``: the joined rows and shard plan when the caller has them (``shard`` does);
    otherwise computed from ``root`` as ``shard`` would. Raises ValueError when no VAE is configured.
    """
    if not config.latents.vae_path:
        raise ValueError("latent encoding needs latents.vae_path (wp shard --vae PATH)")
    root, out_dir = Path(root), Path(out_dir)
    rows = rows if rows is not None else joined_rows(root, config.paths.extra_roots)
    plan = plan or make_plan(rows, config.plan)
    tasks = latent_tasks(plan, rows)
    vae, vae_hash = vae_identity(config.latents.vae_path)
    items = _items(tasks, out_dir, config, vae, vae_hash)
    skipped = _complete(out_dir, items) if resume else []
    return LatentJob(root, out_dir, config, tasks, items, skipped, vae, vae_hash)


def run_latents(
    job: LatentJob,
    *,
    address: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    num_cpus: int | None = None,
) -> EncodeLatentsResult:
    """Encode the prepared job's pending samples on Ray; the producers of all its samples."""
    cfg = job.cfg
    stage = EncodeLatentsStage(
        job.tasks, job.root, job.out_dir, cfg.latents, job.vae, job.vae_hash, cfg.paths.extra_roots
    )
    job_config = {
        "latents": {**cfg.to_dict()["latents"], "vae": job.vae, "vae_hash": job.vae_hash},
        "plan": cfg.to_dict()["plan"],
        "root": str(job.root.resolve()),
        "skipped_samples": len(job.skipped),
    }
    summary = run_job(
        ENCODE_LATENTS_JOB,
        "latents",
        job.todo,
        [stage],
        job.out_dir,
        address=address,
        resume=False,  # completeness is checked by prepare_latents (VAE hash, dtype, sha256)
        config=job_config,
        progress=progress,
        concurrency=cfg.latents.workers or workers,
        num_cpus=num_cpus,
    )
    return EncodeLatentsResult(summary, _producers(job.out_dir, set(job.tasks)), job.skipped)


def encode_latents(
    root: str | Path,
    out_dir: str | Path,
    *,
    config: ShardConfig,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: bool = True,
    num_cpus: int | None = None,
    rows: list[dict] | None = None,
    plan: ShardPlan | None = None,
) -> EncodeLatentsResult:
    """Encode every ``ok`` planned sample of ``root`` with ``config.latents.vae_path`` into ``out_dir``
    (``prepare_latents`` then ``run_latents``). Raises ValueError when no VAE is configured."""
    job = prepare_latents(root, out_dir, config, rows, plan, resume)
    return run_latents(job, address=address, workers=workers, progress=progress, num_cpus=num_cpus)
