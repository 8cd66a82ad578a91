"""Check a manifest table against its schema and the shared row contract; problems come back as text."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from manifests.io import read_manifest
from manifests.schemas import (
    ID_COLUMN,
    NUM_ACTION_CLASSES,
    SCHEMA_VERSION,
    STATUSES,
    detect_table,
    list_of,
    schema_for,
)

_MAX_LISTED = 5  # ids quoted per problem


def _plain_type(t: pa.DataType) -> pa.DataType:
    """Large / view variants compare equal to the plain type (polars writes large_string)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if (
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_list_view(t)
        or pa.types.is_large_list_view(t)
    ):
        return list_of(_plain_type(t.value_type))
    return t


def _ids(table: pa.Table, mask: pa.ChunkedArray | pa.Array, id_col: str | None) -> str:
    rows = table.filter(mask)
    if id_col and id_col in rows.column_names:
        shown = [str(v) for v in rows[id_col].to_pylist()[:_MAX_LISTED]]
    else:
        shown = []
    more = "" if rows.num_rows <= _MAX_LISTED else f" (+{rows.num_rows - _MAX_LISTED} more)"
    return f"{rows.num_rows} row(s)" + (f": {', '.join(shown)}{more}" if shown else "")


def _check_metadata(table_name: str, schema: pa.Schema) -> list[str]:
    meta = schema.metadata or {}
    problems = []
    version = meta.get(b"wp.schema_version")
    if version is None:
        problems.append("schema metadata has no wp.schema_version")
    elif version.decode() != SCHEMA_VERSION:
        problems.append(f"schema version {version.decode()!r} != expected {SCHEMA_VERSION!r}")
    declared = meta.get(b"wp.table")
    if declared is not None and declared.decode() != table_name:
        problems.append(f"schema metadata says table {declared.decode()!r}, validated as {table_name!r}")
    return problems


def _check_columns(table_name: str, table: pa.Table) -> list[str]:
    expected = schema_for(table_name)
    problems = []
    missing = [n for n in expected.names if n not in table.column_names]
    extra = [n for n in table.column_names if n not in expected.names]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s): {', '.join(extra)}")
    for field in expected:
        if field.name not in table.column_names:
            continue
        got = table.schema.field(field.name).type
        if _plain_type(got) != field.type:
            problems.append(f"column {field.name} has type {got}, expected {field.type}")
        elif not field.nullable and table[field.name].null_count:
            problems.append(f"column {field.name} is required but has {table[field.name].null_count} null(s)")
    return problems


def _check_rows(table_name: str, table: pa.Table) -> list[str]:
    id_col = ID_COLUMN[table_name]
    cols = table.column_names
    problems = []
    if id_col in cols:
        ids = table[id_col]
        if ids.null_count:
            problems.append(f"{ids.null_count} row(s) with a null id ({id_col})")
        counts = pc.value_counts(ids.drop_null())
        dups = [c["values"] for c in counts.to_pylist() if c["counts"] > 1]
        if dups:
            problems.append(f"duplicate {id_col}: {', '.join(map(str, dups[:_MAX_LISTED]))}")
    if "status" not in cols:
        return problems
    status = table["status"]
    bad = pc.invert(pc.fill_null(pc.is_in(status, value_set=pa.array(STATUSES)), False))
    if pc.any(bad).as_py():
        values = sorted({str(v) for v in table.filter(bad)["status"].to_pylist()})
        problems.append(f"bad status value(s) {values} in {_ids(table, bad, id_col)}; allowed {STATUSES}")
    if "drop_reasons" in cols and pa.types.is_list(_plain_type(table.schema.field("drop_reasons").type)):
        n_reasons = pc.fill_null(pc.list_value_length(table["drop_reasons"]), 0)
        ok_with = pc.fill_null(pc.and_(pc.equal(status, "ok"), pc.greater(n_reasons, 0)), False)
        if pc.any(ok_with).as_py():
            problems.append(f"ok rows with drop_reasons: {_ids(table, ok_with, id_col)}")
        dropped_without = pc.fill_null(pc.and_(pc.equal(status, "dropped"), pc.equal(n_reasons, 0)), False)
        if pc.any(dropped_without).as_py():
            problems.append(f"dropped rows without drop_reasons: {_ids(table, dropped_without, id_col)}")
    if "error" in cols:
        err = table["error"]
        no_error = pc.and_kleene(pc.equal(status, "failed"), pc.or_kleene(pc.is_null(err), pc.equal(err, "")))
        no_error = pc.fill_null(no_error, False)
        if pc.any(no_error).as_py():
            problems.append(f"failed rows without an error message: {_ids(table, no_error, id_col)}")
    if table_name == "annotations" and "action_histogram" in cols:
        lengths = pc.list_value_length(table["action_histogram"])
        wrong = pc.fill_null(pc.not_equal(lengths, NUM_ACTION_CLASSES), False)
        if pc.any(wrong).as_py():
            problems.append(
                f"action_histogram not of length {NUM_ACTION_CLASSES}: {_ids(table, wrong, id_col)}"
            )
    return problems


def validate_table(table_name: str, table: pa.Table) -> list[str]:
    """Problems of a manifest table (empty list when it is valid)."""
    schema_for(table_name)  # raises on an unknown table name
    return (
        _check_metadata(table_name, table.schema)
        + _check_columns(table_name, table)
        + _check_rows(table_name, table)
    )


def validate_path(path: str | os.PathLike) -> tuple[str | None, list[str]]:
    """Read and validate a manifest file or dataset folder; the table is detected from its schema.

    Returns ``(table_name, problems)``; table_name is None when the table cannot be told.
    """
    p = Path(path)
    try:
        table = read_manifest(p)
    except (FileNotFoundError, ValueError) as exc:
        return None, [str(exc)]
    name = detect_table(table.schema, p.name)
    if name is None:
        return None, [
            f"cannot tell which manifest table {p} holds: no wp.table metadata, no known id column "
            f"({', '.join(ID_COLUMN.values())}) and the file name is not a table name"
        ]
    return name, validate_table(name, table)
