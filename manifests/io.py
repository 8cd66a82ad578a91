"""Read and write manifest parquet files: atomic writes, rows sorted by id for deterministic bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from manifests.atomic import atomic_path
from manifests.schemas import ID_COLUMN, SCHEMA_VERSION, detect_table


def read_manifest(path: str | os.PathLike) -> pa.Table:
    """Read a manifest: one ``.parquet`` file or a directory of parquet files (a dataset)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no manifest at {p}")
    if p.is_dir() and not any(p.rglob("*.parquet")):
        raise ValueError(f"manifest directory {p} holds no .parquet files")
    try:
        return pq.read_table(p)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"cannot read manifest {p} as parquet: {exc}") from exc


def sort_by_id(table: pa.Table, table_name: str | None = None) -> pa.Table:
    """Rows ordered by the table's id column (unchanged when no id column is known)."""
    name = table_name or detect_table(table.schema)
    id_col = ID_COLUMN.get(name or "")
    if id_col is None or id_col not in table.column_names or table.num_rows < 2:
        return table
    return table.take(pc.sort_indices(table, sort_keys=[(id_col, "ascending")]))


def write_manifest(path: str | os.PathLike, table: pa.Table, table_name: str | None = None) -> Path:
    """Write a manifest atomically (temp file in the same folder, then os.replace), rows sorted by id.

    The ``wp.table`` / ``wp.schema_version`` metadata is added when the table is known and lacks it.
    """
    p = Path(path)
    if p.suffix != ".parquet":
        raise ValueError(f"manifest path must end in .parquet, got {p}")
    name = table_name or detect_table(table.schema, p.name)
    if name is not None:
        meta = dict(table.schema.metadata or {})
        meta.setdefault(b"wp.table", name.encode())
        meta.setdefault(b"wp.schema_version", SCHEMA_VERSION.encode())
        table = table.replace_schema_metadata(meta)
    table = sort_by_id(table, name)
    # hidden temp name in the same folder (readers of a dataset folder skip dot-files)
    with atomic_path(p) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return p
