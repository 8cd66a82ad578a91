"""Manifest store: stream rows to part files while a job runs, compact them into one manifest at the end.

Layout under ``<out>/manifests/``: ``<table>.parquet`` (final, one row per id, sorted by id) and
``.parts/<table>/part-<n>.parquet`` (appended every ``flush_rows`` rows or ``flush_seconds``). Every
file is written under a temporary name in the same folder and renamed, so a killed job leaves only
complete parts behind; the next run reads them (see :func:`done_ids`) and compaction folds them in,
the latest row for an id winning.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from manifests.atomic import atomic_path
from manifests.io import read_manifest, write_manifest
from manifests.schemas import ID_COLUMN, SCHEMAS, empty_table, rows_to_table
from pipelines.runtime.stage import DROPPED, OK

PART_RE = re.compile(r"^part-(\d+)\.parquet$")
_ORDER = "__wp_order"


def manifest_path(out_dir: str | Path, table: str) -> Path:
    """``<out>/manifests/<table>.parquet``."""
    return Path(out_dir) / "manifests" / f"{table}.parquet"


def parts_dir(out_dir: str | Path, table: str) -> Path:
    """``<out>/manifests/.parts/<table>``."""
    return Path(out_dir) / "manifests" / ".parts" / table


def id_column_for(table: str) -> str:
    """The id column of a manifest table (``manifests.schemas.ID_COLUMN``)."""
    if table not in ID_COLUMN:
        raise KeyError(f"unknown manifest table {table!r}; known: {sorted(ID_COLUMN)}")
    return ID_COLUMN[table]


def rows_to_arrow(table: str, rows: list[dict]) -> pa.Table:
    """Rows -> Arrow with the table's declared schema (inferred for tables manifests/ does not know)."""
    if table in SCHEMAS:
        return rows_to_table(table, rows)
    # pa.Table.from_pylist takes its columns from the first row alone: a first row without "y" (a failed
    # item) would silently drop every later row's "y". Columns are the union, in order of appearance.
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows])


def write_parquet_atomic(tbl: pa.Table, path: Path) -> Path:
    """Write ``tbl`` to ``path`` via a temporary name in the same folder and ``os.replace``."""
    with atomic_path(path) as tmp:
        pq.write_table(tbl, tmp)
    return path


def list_parts(out_dir: str | Path, table: str) -> list[Path]:
    """Complete part files in write order."""
    d = parts_dir(out_dir, table)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := PART_RE.match(p.name))]
    return [p for _, p in sorted(found)]


def read_rows_table(out_dir: str | Path, table: str, id_column: str) -> pa.Table | None:
    """Final manifest plus leftover parts, one row per id (latest wins), sorted by id; None if empty."""
    paths = [manifest_path(out_dir, table)] if manifest_path(out_dir, table).exists() else []
    paths += list_parts(out_dir, table)
    tables = [read_manifest(p) for p in paths]
    if not tables:
        return None
    tbl = pa.concat_tables(tables, promote_options="permissive")
    if id_column not in tbl.column_names:
        raise ValueError(f"manifest files for {table!r} have no id column {id_column!r}")
    return dedupe_latest(tbl, id_column)


def dedupe_latest(tbl: pa.Table, id_column: str) -> pa.Table:
    """Keep the last row per id (rows later in ``tbl`` are newer), sorted by id."""
    tbl = tbl.append_column(_ORDER, pa.array(np.arange(tbl.num_rows), pa.int64()))
    tbl = tbl.sort_by([(id_column, "ascending"), (_ORDER, "descending")])
    ids = np.asarray(tbl.column(id_column).to_pylist(), dtype=object)
    keep = np.ones(len(ids), dtype=bool)
    keep[1:] = ids[1:] != ids[:-1]
    return tbl.filter(pa.array(keep)).drop_columns([_ORDER])


def done_ids(out_dir: str | Path, table: str, id_column: str | None = None) -> set[str]:
    """Ids whose latest row is ``ok`` or ``dropped`` (a rerun skips them; ``failed`` ones are retried)."""
    id_column = id_column or id_column_for(table)
    tbl = read_rows_table(out_dir, table, id_column)
    if tbl is None:
        return set()
    ids = tbl.column(id_column).to_pylist()
    statuses = tbl.column("status").to_pylist()
    return {i for i, s in zip(ids, statuses, strict=True) if s in (OK, DROPPED)}


class ManifestStore:
    """Appends rows of one table to part files; :meth:`compact` writes the final manifest."""

    def __init__(
        self,
        out_dir: str | Path,
        table: str,
        id_column: str | None = None,
        flush_rows: int = 256,
        flush_seconds: float = 10.0,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.table = table
        self.id_column = id_column or id_column_for(table)
        self.flush_rows = max(1, int(flush_rows))
        self.flush_seconds = float(flush_seconds)
        self._buffer: list[dict] = []
        self._last_flush = time.monotonic()
        existing = list_parts(self.out_dir, table)
        self._next_part = int(PART_RE.match(existing[-1].name).group(1)) + 1 if existing else 0
        self.parts_written = 0

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.out_dir, self.table)

    def add(self, row: dict) -> None:
        """Buffer one row; flush when the buffer is full or old enough."""
        if self.id_column not in row:
            raise KeyError(f"row for table {self.table!r} has no id column {self.id_column!r}")
        self._buffer.append(row)
        if len(self._buffer) >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> Path | None:
        """Write buffered rows as the next part file (atomic); None when nothing was buffered."""
        self._last_flush = time.monotonic()
        if not self._buffer:
            return None
        path = parts_dir(self.out_dir, self.table) / f"part-{self._next_part:06d}.parquet"
        write_parquet_atomic(rows_to_arrow(self.table, self._buffer), path)
        self._buffer = []
        self._next_part += 1
        self.parts_written += 1
        return path

    def compact(self) -> pa.Table:
        """Fold the manifest and all parts into ``<table>.parquet`` (atomic) and remove the parts."""
        self.flush()
        parts = list_parts(self.out_dir, self.table)
        tbl = read_rows_table(self.out_dir, self.table, self.id_column)
        if tbl is None:  # a job with no items still leaves its (empty) manifest
            known = self.table in SCHEMAS
            tbl = empty_table(self.table) if known else pa.table({self.id_column: pa.array([], pa.string())})
        write_manifest(self.manifest_path, tbl, self.table)
        for p in parts:
            p.unlink(missing_ok=True)
        d = parts_dir(self.out_dir, self.table)
        for stale in d.glob(".part-*.tmp") if d.is_dir() else []:
            stale.unlink(missing_ok=True)
        return tbl
