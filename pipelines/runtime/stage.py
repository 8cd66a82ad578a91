"""The Stage: one small extension point per processing step.

Subclass :class:`Stage`, give it a ``name`` and its resources, override ``setup`` (once per worker,
e.g. load a model) and ``process`` (one item in, one row or a list of rows out)::

    class Square(Stage):
        name = "square"

        def process(self, item: dict) -> dict:
            return {**item, "y": item["x"] ** 2}

The bookkeeping every stage needs is done here, once: an exception inside ``process`` becomes a
``failed`` row (``error="<ExceptionType>: <message>"``); rows get ``status="ok"``, ``drop_reasons=[]``
and ``error=None`` unless they say otherwise; rows that are already ``failed`` or ``dropped`` pass
through later stages untouched.
"""

from __future__ import annotations

from typing import Any

OK, DROPPED, FAILED = "ok", "dropped", "failed"
STATUSES = (OK, DROPPED, FAILED)


class Stage:
    """One processing step; see the module docstring."""

    name: str = "stage"
    num_cpus: float = 1
    num_gpus: float = 0
    concurrency: int | None = None  # actor-pool size; None lets the runtime choose
    batch_size: int = 1  # items handed to one worker call
    max_retries: int = 2  # retries of a batch whose worker process died (then its items are "lost")

    def setup(self) -> None:
        """Prepare per-worker state (load a model, open a file); runs once per worker."""

    def process(self, item: dict) -> dict | list[dict]:
        """Turn one item into one row (or several); raise to fail the item."""
        raise NotImplementedError(f"{type(self).__name__}.process is not implemented")

    def process_batch(self, items: list[dict]) -> list[dict | list[dict] | BaseException]:
        """Several ``ok`` items at once (one model call for a batch); one result per item, in order:
        its row(s), or the exception that item raised. The default calls ``process`` item by item."""
        out: list[dict | list[dict] | BaseException] = []
        for item in items:
            try:
                out.append(self.process(item))
            except Exception as exc:  # noqa: BLE001 - errors are data
                out.append(exc)
        return out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, num_cpus={self.num_cpus}, num_gpus={self.num_gpus})"
        )


def error_message(exc: BaseException) -> str:
    """``"<ExceptionType>: <message>"`` for a manifest's ``error`` column."""
    msg = str(exc).strip()
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def failed_row(item: dict, id_column: str, error: str) -> dict:
    """The row that stands for ``item`` when processing it failed; keeps the item's own fields."""
    if id_column not in item:
        raise KeyError(f"item has no id column {id_column!r}: keys {sorted(item)}")
    return {**item, "status": FAILED, "drop_reasons": [], "error": error}


def finish_row(row: dict) -> dict:
    """Fill in ``status``/``drop_reasons``/``error`` defaults and check them."""
    if not isinstance(row, dict):
        raise TypeError(f"a stage must return dict rows, got {type(row).__name__}")
    row = dict(row)
    row.setdefault("status", OK)
    row["drop_reasons"] = list(row.get("drop_reasons") or [])
    row.setdefault("error", None)
    if row["status"] not in STATUSES:
        raise ValueError(f"row status must be one of {STATUSES}, got {row['status']!r}")
    if row["status"] == DROPPED and not row["drop_reasons"]:
        raise ValueError("a dropped row must give at least one drop reason")
    return row


def run_stage(stage: Stage, item: dict, id_column: str) -> list[dict]:
    """Apply ``stage`` to one item with all the bookkeeping; never raises for a bad item."""
    if item.get("status", OK) != OK:
        return [item]  # dropped / failed earlier: pass through untouched
    try:
        out: Any = stage.process(item)
        rows = out if isinstance(out, list) else [out]
        return [finish_row(r) for r in rows]
    except Exception as exc:  # noqa: BLE001 - errors are data
        return [failed_row(item, id_column, error_message(exc))]


def run_stage_batch(stage: Stage, items: list[dict], id_column: str) -> list[list[dict]]:
    """Apply ``stage.process_batch`` to the ``ok`` items of a batch; one list of rows per item, in order.

    Earlier ``dropped``/``failed`` rows pass through; an exception of the whole batch fails each item.
    """
    todo = [i for i, item in enumerate(items) if item.get("status", OK) == OK]
    out: list[list[dict]] = [[item] for item in items]
    if not todo:
        return out
    try:
        results = stage.process_batch([items[i] for i in todo])
        if len(results) != len(todo):
            raise RuntimeError(f"process_batch returned {len(results)} results for {len(todo)} items")
    except Exception as exc:  # noqa: BLE001 - errors are data
        results = [exc] * len(todo)
    for i, res in zip(todo, results, strict=True):
        try:
            if isinstance(res, BaseException):
                raise res
            rows = res if isinstance(res, list) else [res]
            out[i] = [finish_row(r) for r in rows]
        except Exception as exc:  # noqa: BLE001 - errors are data
            out[i] = [failed_row(items[i], id_column, error_message(exc))]
    return out
