"""``run_job``: items -> stages on Ray Data -> streamed part files -> one manifest, config and summary.

Layout under ``out_dir``: ``manifests/<table>.parquet`` (see :mod:`pipelines.runtime.store`) and
``jobs/<name>/config.yaml`` + ``jobs/<name>/summary.json``. Every item that enters leaves as a row:
ids Ray never returned (a crashed worker, a failed block) are run once more in isolation (one item a
batch, one batch in flight: ``build_dataset(isolate=True)``), since a batch that killed its worker took
the batch queued behind it along; what is still missing then is written as ``failed`` rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ray.data import DataContext
from rich.console import Console

from pipelines.runtime.ray_session import RaySessionInfo, ray_session
from pipelines.runtime.ray_stages import build_dataset
from pipelines.runtime.rows import unpack
from pipelines.runtime.stage import Stage, error_message, failed_row
from pipelines.runtime.store import ManifestStore, done_ids, id_column_for
from pipelines.runtime.summary import Counts, JobSummary, write_config, write_summary

log = logging.getLogger(__name__)
LOST = "lost by the runtime (its worker died or Ray dropped its batch)"


def job_dir(out_dir: str | Path, name: str) -> Path:
    """``<out>/jobs/<name>``."""
    return Path(out_dir) / "jobs" / name


class _Progress:
    """A line of items/s every ``every_s`` seconds (Ray Data draws its own bars too)."""

    def __init__(self, name: str, total: int, enabled: bool, every_s: float = 5.0) -> None:
        self.name, self.total, self.enabled, self.every_s = name, total, enabled, every_s
        self.console = Console(stderr=True)
        self.t0 = self.last = time.monotonic()
        self.done = 0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self.last >= self.every_s or self.done == self.total):
            self.last = now
            rate = self.done / max(now - self.t0, 1e-9)
            self.console.print(f"[bold]{self.name}[/]: {self.done}/{self.total} items, {rate:.2f} items/s")


def _check_items(items: list[dict], id_column: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get(id_column) in (None, ""):
            raise ValueError(f"item {i} has no {id_column!r}: every item must arrive with its id set")
        key = str(item[id_column])
        if key in seen:
            raise ValueError(f"duplicate {id_column} {key!r} in the job's items")
        seen.add(key)


def _stream(
    todo: list[dict],
    stages: Sequence[Stage],
    id_column: str,
    store: ManifestStore,
    run: Counts,
    progress: _Progress,
    concurrency: int | None,
    isolate: bool = False,
) -> tuple[set[str], str | None]:
    """Run the stages, writing each row as it arrives; returns the keys seen and any runtime error."""
    ctx = DataContext.get_current()
    saved = (ctx.max_errored_blocks, ctx.enable_progress_bars)
    ctx.max_errored_blocks = -1  # a crashed block loses its items (recorded below), not the job
    ctx.enable_progress_bars = progress.enabled
    data_log = logging.getLogger("ray.data")
    saved_level = data_log.level
    if not progress.enabled:
        data_log.setLevel(logging.WARNING)
    seen: set[str] = set()
    runtime_error = None
    try:
        for record in build_dataset(todo, stages, id_column, concurrency, isolate).iter_rows():
            key, row = unpack(record)
            store.add(row)
            run.add(row.get("status", "ok"), row.get("drop_reasons"))
            if key not in seen:
                seen.add(key)
                progress.step()
    except Exception as exc:  # noqa: BLE001 - the items not returned become failed rows
        runtime_error = error_message(exc)
        log.error("Ray Data stopped early: %s", runtime_error)
    finally:
        ctx.max_errored_blocks, ctx.enable_progress_bars = saved
        data_log.setLevel(saved_level)
    return seen, runtime_error


def run_job(
    name: str,
    table: str,
    items: Iterable[dict],
    stages: Sequence[Stage],
    out_dir: str | Path,
    *,
    address: str | None = None,
    resume: bool = True,
    config: dict[str, Any] | None = None,
    progress: bool = True,
    id_column: str | None = None,
    concurrency: int | None = None,
    num_cpus: int | None = None,
    flush_rows: int = 64,
    flush_seconds: float = 5.0,
) -> JobSummary:
    """Run ``stages`` over ``items`` (each with its id column set) and write the ``table`` manifest.

    ``resume`` skips ids already ``ok``/``dropped``; ``concurrency`` sizes the actor pool of stages that
    do not set their own; ``num_cpus`` caps an embedded Ray; parts are flushed every ``flush_rows``
    rows or ``flush_seconds``.
    """
    t0 = time.monotonic()
    out_dir = Path(out_dir)
    id_column = id_column or id_column_for(table)
    items = list(items)
    _check_items(items, id_column)
    done = done_ids(out_dir, table, id_column) if resume else set()
    todo = [it for it in items if str(it[id_column]) not in done]
    resolved = {
        "job": name,
        "table": table,
        "out_dir": str(out_dir),
        "address": address,
        "resume": resume,
        "concurrency": concurrency,
        "stages": [
            {
                "class": type(s).__name__,
                "name": s.name,
                "num_cpus": s.num_cpus,
                "num_gpus": s.num_gpus,
                "concurrency": s.concurrency,
                "batch_size": s.batch_size,
            }
            for s in stages
        ],
        "config": config or {},
    }
    write_config(job_dir(out_dir, name) / "config.yaml", resolved)

    store = ManifestStore(out_dir, table, id_column, flush_rows=flush_rows, flush_seconds=flush_seconds)
    run = Counts()
    info = RaySessionInfo("none", None)
    seen: set[str] = set()
    runtime_error = None
    if todo:
        with ray_session(address, num_cpus=num_cpus) as info:
            prog = _Progress(name, len(todo), progress)
            seen, runtime_error = _stream(todo, stages, id_column, store, run, prog, concurrency)
            again = [it for it in todo if str(it[id_column]) not in seen]
            if again:
                log.warning("%d item(s) lost by the runtime; running them again one at a time", len(again))
                seen_again, runtime_error = _stream(
                    again, stages, id_column, store, run, prog, concurrency, True
                )
                seen |= seen_again
    lost = [it for it in todo if str(it[id_column]) not in seen]
    for item in lost:
        row = failed_row(item, id_column, LOST + (f" ({runtime_error})" if runtime_error else ""))
        store.add(row)
        run.add(row["status"], [])
    rows_written = sum(run.by_status.values())
    final = store.compact()

    wall = time.monotonic() - t0
    summary = JobSummary(
        name=name,
        table=table,
        manifest_path=str(store.manifest_path),
        ray_mode=info.mode,
        ray_address=info.gcs_address,
        items=len(items),
        skipped=len(items) - len(todo),
        processed=len(todo),
        lost=len(lost),
        rows_written=rows_written,
        wall_s=round(wall, 3),
        items_per_s=round(len(todo) / wall, 3) if wall > 0 else 0.0,
        run=run,
        total=Counts.of_table(final),
    )
    write_summary(job_dir(out_dir, name) / "summary.json", summary)
    return summary
