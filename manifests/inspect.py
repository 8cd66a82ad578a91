"""Readable text views of a manifest (rows, statistics, failures), rendered with rich."""

from __future__ import annotations

import io
import math
import shutil
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table

from manifests.schemas import ID_COLUMN, STATUSES, detect_table

QUANTILES: tuple[float, ...] = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
_CELL = 48  # max characters of a cell


def _render(*renderables: Any, width: int | None = None) -> str:
    width = width or max(shutil.get_terminal_size((160, 24)).columns, 80)
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False)
    for r in renderables:
        console.print(r)
    return buf.getvalue()


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    text = str(v)
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def _id_col(table: pa.Table) -> str | None:
    col = ID_COLUMN.get(detect_table(table.schema) or "")
    return col if col in table.column_names else None


def status_counts(table: pa.Table) -> dict[str, int]:
    """Rows per status value (the known statuses first, each present even when 0)."""
    counts = {s: 0 for s in STATUSES}
    if "status" in table.column_names:
        for c in pc.value_counts(table["status"]).to_pylist():
            counts[str(c["values"])] = int(c["counts"])
    return counts


def drop_reason_counts(table: pa.Table) -> dict[str, int]:
    """Rows per drop reason, most frequent first (a row with two reasons counts for both)."""
    if "drop_reasons" not in table.column_names or table.num_rows == 0:
        return {}
    flat = pc.list_flatten(table["drop_reasons"])
    pairs = [(str(c["values"]), int(c["counts"])) for c in pc.value_counts(flat).to_pylist()]
    return dict(sorted(pairs, key=lambda p: (-p[1], p[0])))


def quantiles(table: pa.Table) -> dict[str, dict[str, float]]:
    """Per numeric column: non-null count, mean and the :data:`QUANTILES` (``p0`` ... ``p100``)."""
    out = {}
    for field in table.schema:
        t = field.type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t)):
            continue
        values = pc.drop_null(table[field.name])
        if pa.types.is_floating(t):
            values = pc.filter(values, pc.invert(pc.is_nan(values)))
        row: dict[str, float] = {"count": float(len(values))}
        if len(values):
            qs = pc.quantile(values, q=list(QUANTILES), interpolation="linear").to_pylist()
            row["mean"] = float(pc.mean(values).as_py())
            row.update({f"p{round(q * 100)}": float(v) for q, v in zip(QUANTILES, qs, strict=True)})
        out[field.name] = row
    return out


def show(
    table: pa.Table, limit: int = 20, columns: Sequence[str] | None = None, width: int | None = None
) -> str:
    """The first ``limit`` rows (optionally only ``columns``) as a text table."""
    if columns:
        unknown = [c for c in columns if c not in table.column_names]
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; the manifest has {table.column_names}")
        table = table.select(list(columns))
    head = table.slice(0, max(int(limit), 0))
    view = Table(title=f"{table.num_rows} rows x {table.num_columns} columns (first {head.num_rows})")
    for name in head.column_names:
        view.add_column(name, overflow="fold")
    for row in head.to_pylist():
        view.add_row(*(_cell(row[n]) for n in head.column_names))
    return _render(view, width=width)


def stats(table: pa.Table, width: int | None = None) -> str:
    """Rows by status, by drop reason, and quantiles of every numeric column, as text tables."""
    n = table.num_rows
    by_status = Table(title=f"{n} rows by status")
    by_status.add_column("status")
    by_status.add_column("rows", justify="right")
    by_status.add_column("%", justify="right")
    for s, c in status_counts(table).items():
        by_status.add_row(s, str(c), f"{100 * c / n:.1f}" if n else "-")
    by_reason = Table(title="dropped rows by reason")
    by_reason.add_column("drop reason")
    by_reason.add_column("rows", justify="right")
    for reason, c in drop_reason_counts(table).items():
        by_reason.add_row(reason, str(c))
    numeric = quantiles(table)
    empty = [c for c, row in numeric.items() if row["count"] == 0]
    caption = f"all null: {', '.join(empty)}" if empty else None
    qs = Table(title="numeric columns (all rows, nulls and NaN left out)", caption=caption)
    names = ["count", "mean"] + [f"p{round(q * 100)}" for q in QUANTILES]
    qs.add_column("column")
    for name in names:
        qs.add_column(name, justify="right")
    for col, row in numeric.items():
        if row["count"] == 0:
            continue
        qs.add_row(col, *(_cell(row.get(k)) if k != "count" else str(int(row[k])) for k in names))
    return _render(by_status, by_reason, qs, width=width)


def failed(table: pa.Table, width: int | None = None) -> str:
    """The failed rows with their error messages."""
    if "status" not in table.column_names:
        return _render("manifest has no status column", width=width)
    rows = table.filter(pc.fill_null(pc.equal(table["status"], "failed"), False))
    if rows.num_rows == 0:
        return _render(f"no failed rows (of {table.num_rows})", width=width)
    id_col = _id_col(rows)
    extra = [
        c
        for c in ("source_id", "scene_id", "item_id", "uri", "path")
        if c in rows.column_names and c != id_col
    ]
    cols = ([id_col] if id_col else []) + extra + (["error"] if "error" in rows.column_names else [])
    view = Table(title=f"{rows.num_rows} failed rows (of {table.num_rows})")
    for c in cols:
        view.add_column(c, overflow="fold")
    for row in rows.select(cols).to_pylist():
        view.add_row(*(("-" if row[c] is None else str(row[c])) for c in cols))
    return _render(view, width=width)
