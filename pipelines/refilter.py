"""Re-decide a clips manifest with new thresholds, from its stored scores (nothing is decoded).

`refilter_table` re-applies `wpdata.filters.decide.decide` to every row that is not "failed" and
returns the new table plus before/after counts; `refilter_manifest` does it on a file, atomically.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from manifests.inspect import drop_reason_counts, status_counts
from manifests.io import read_manifest, write_manifest
from manifests.schemas import detect_table, rows_to_table
from wpdata.filters.decide import CurationThresholds, decide

__all__ = ["RefilterResult", "parse_overrides", "refilter_manifest", "refilter_table", "summary_lines"]


@dataclass
class RefilterResult:
    """The re-decided table, counts by status and by drop reason before and after, and rows changed."""

    table: pa.Table
    status_before: dict[str, int]
    status_after: dict[str, int]
    reasons_before: dict[str, int]
    reasons_after: dict[str, int]
    changed: int


def parse_overrides(items: list[str]) -> dict[str, str]:
    """["max_shake=0.4", ...] -> {"max_shake": "0.4"}; CurationThresholds casts the values."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"override {item!r} is not NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def refilter_table(table: pa.Table, thresholds: CurationThresholds) -> RefilterResult:
    """Apply `decide` to every non-failed row of a clips table; failed rows are kept as they are."""
    name = detect_table(table.schema)
    if name != "clips":
        raise ValueError(f"refilter needs a clips manifest, got a {name or 'unknown'} table")
    rows = table.to_pylist()
    changed = 0
    for row in rows:
        status, reasons = decide(row, thresholds)
        if (status, reasons) != (row["status"], list(row["drop_reasons"] or [])):
            changed += 1
        row["status"], row["drop_reasons"] = status, reasons
    new = rows_to_table("clips", rows)
    return RefilterResult(
        table=new,
        status_before=status_counts(table),
        status_after=status_counts(new),
        reasons_before=drop_reason_counts(table),
        reasons_after=drop_reason_counts(new),
        changed=changed,
    )


def refilter_manifest(
    path: str | os.PathLike,
    thresholds: CurationThresholds,
    out: str | os.PathLike | None = None,
) -> RefilterResult:
    """Re-decide the clips manifest at `path` and write it atomically to `out` (default: in place)."""
    result = refilter_table(read_manifest(path), thresholds)
    target = Path(out) if out is not None else Path(path)
    if target.is_dir() or target.suffix != ".parquet":
        raise ValueError(f"output must be a .parquet file, got {target}")
    write_manifest(target, result.table, "clips")
    return result


def format_counts(before: Mapping[str, Any], after: Mapping[str, Any], title: str) -> list[str]:
    """Lines "  key: before -> after" for every key in either count."""
    keys = sorted(set(before) | set(after), key=lambda k: (-int(after.get(k, 0)), k))
    lines = [title]
    lines += [f"  {k}: {before.get(k, 0)} -> {after.get(k, 0)}" for k in keys] or ["  (none)"]
    return lines


def summary_lines(result: RefilterResult) -> list[str]:
    """Printable before/after counts by status and by drop reason."""
    total = sum(Counter(result.status_after).values())
    return (
        [f"{total} rows, {result.changed} changed"]
        + format_counts(result.status_before, result.status_after, "by status (before -> after):")
        + format_counts(result.reasons_before, result.reasons_after, "by drop reason (before -> after):")
    )
