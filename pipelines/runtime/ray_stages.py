"""Chain :class:`Stage` objects into a Ray Data pipeline (one ``map_batches`` actor pool per stage).

Each actor has ``IN_FLIGHT`` batches in flight, so the next batch is already waiting when one ends:
with one, a worker sat idle 0.1-0.2 s between batches whenever every CPU was busy (Ray Data's hand-off
of the next batch waits for a CPU), 8-10% of a 2-worker clip job on 2 CPUs. The price is that a batch
that kills its worker takes the batch queued behind it along; ``isolate=True`` builds the pipeline
``run_job`` reruns such lost items with: one item a batch, one batch in flight.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence

import pyarrow as pa
import ray

from pipelines.runtime.rows import KEY, ROW, pack, records_table
from pipelines.runtime.stage import OK, Stage, error_message, failed_row, run_stage, run_stage_batch

IN_FLIGHT = 2  # batches queued at each actor (see the module docstring)


class StageWorker:
    """Callable class for ``map_batches``: runs ``stage.setup()`` once, then ``process`` per item."""

    def __init__(self, stage: Stage, id_column: str) -> None:
        self.stage = stage
        self.id_column = id_column
        self.setup_error: str | None = None
        try:
            stage.setup()
        except Exception as exc:  # noqa: BLE001 - a broken setup fails the items, not the job
            self.setup_error = f"setup of stage {stage.name!r} failed: {error_message(exc)}"

    def __call__(self, batch: pa.Table) -> pa.Table:
        keys = batch.column(KEY).to_pylist()
        items = [pickle.loads(p) for p in batch.column(ROW).to_pylist()]
        if self.setup_error is not None:
            results = [
                [failed_row(it, self.id_column, self.setup_error)] if it.get("status", OK) == OK else [it]
                for it in items
            ]
        elif type(self.stage).process_batch is not Stage.process_batch:  # a batching stage
            results = run_stage_batch(self.stage, items, self.id_column)
        else:
            results = [run_stage(self.stage, it, self.id_column) for it in items]
        out: list[dict] = []
        for key, rows in zip(keys, results, strict=True):
            out.extend(pack(key, rows))
        return records_table(out)


def build_dataset(
    items: Sequence[dict],
    stages: Sequence[Stage],
    id_column: str,
    default_concurrency: int | None = None,
    isolate: bool = False,
) -> ray.data.Dataset:
    """Items (each with ``id_column`` set) -> a lazy Dataset of packed result records; ``isolate``: one
    item a batch and one batch in flight per actor (a crash loses only the item that caused it)."""
    if not items:
        raise ValueError("build_dataset needs at least one item")
    if not stages:
        raise ValueError("build_dataset needs at least one stage")
    records = [rec for item in items for rec in pack(str(item[id_column]), [item])]
    num_blocks = min(len(records), 200)
    ds = ray.data.from_items(records, override_num_blocks=num_blocks)
    for stage in stages:
        # no more actors than blocks: an actor with nothing to do only costs its start-up
        size = min(stage.concurrency or default_concurrency or 0, num_blocks) or None
        sizes = {"size": size} if size else {"min_size": 1}
        pool = ray.data.ActorPoolStrategy(**sizes, max_tasks_in_flight_per_actor=1 if isolate else IN_FLIGHT)
        with warnings.catch_warnings():
            # Ray 2.60 has no named parameter for actor retries yet; **ray_remote_args is the only way.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
            ds = _map_stage(ds, stage, id_column, pool, 1 if isolate else max(1, int(stage.batch_size)))
    return ds


def _map_stage(
    ds: ray.data.Dataset, stage: Stage, id_column: str, pool: ray.data.ActorPoolStrategy, batch_size: int
) -> ray.data.Dataset:
    """One ``map_batches`` actor pool running ``stage`` with its declared resources."""
    return ds.map_batches(
        StageWorker,
        fn_constructor_kwargs={"stage": stage, "id_column": id_column},
        batch_size=batch_size,
        batch_format="pyarrow",
        zero_copy_batch=True,
        num_cpus=stage.num_cpus,
        num_gpus=stage.num_gpus or None,
        compute=pool,
        # a crashed worker is replaced, but a batch that keeps killing it is not retried forever
        max_restarts=-1,
        max_task_retries=max(0, int(stage.max_retries)),
    )
