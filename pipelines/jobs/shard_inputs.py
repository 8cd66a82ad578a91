"""Inputs of ``wp shard``: the ``ok`` annotations of a job folder joined with their clip / render rows.

The joined row is the clip (``clip_id``) or render (``render_id``) row overlaid with the annotation row
(annotation values win: the annotated video's fps / size), without the status columns, plus
``video_bytes`` (the mp4's size, for the plan's byte estimate; 0 when the path does not resolve inside
the root: the write stage then fails that sample with the reason). Annotations whose clip / render row
exists but is not ``ok`` any more (re-filtered) are left out; ones with no such row at all are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from manifests.io import read_manifest
from pipelines.runtime.store import manifest_path
from wpdata.shards import resolve_in_root

STATUS_COLUMNS = ("status", "drop_reasons", "error")


def _rows_by_id(root: Path, table: str, id_column: str) -> dict[str, dict]:
    path = manifest_path(root, table)
    if not path.exists():
        return {}
    return {str(r[id_column]): r for r in read_manifest(path).to_pylist()}


def video_rel_path(row: dict) -> str | None:
    """The item's mp4 as its manifests store it: annotation ``video_path``, else clip ``path``."""
    return row.get("video_path") or row.get("path")


def joined_rows(root: str | Path, extra_roots: Sequence[str | Path] = ()) -> list[dict]:
    """The rows to plan, sorted by item id (see the module docstring).

    Raises FileNotFoundError when ``<root>/manifests/annotations.parquet`` does not exist.
    """
    root = Path(root)
    ann_path = manifest_path(root, "annotations")
    if not ann_path.exists():
        raise FileNotFoundError(f"{root}: no annotations manifest (expected {ann_path}; run wp annotate)")
    items = {**_rows_by_id(root, "renders", "render_id"), **_rows_by_id(root, "clips", "clip_id")}
    out = []
    for ann in read_manifest(ann_path).to_pylist():
        if ann.get("status") != "ok":
            continue
        item = items.get(str(ann["item_id"]), {})
        if item and item.get("status") != "ok":
            continue
        row = {k: v for k, v in item.items() if k not in STATUS_COLUMNS}
        row.update({k: v for k, v in ann.items() if k not in STATUS_COLUMNS and v is not None})
        row.setdefault("item_kind", "render" if "render_id" in item else "clip")
        try:
            row["video_bytes"] = (
                resolve_in_root(video_rel_path(row), root, extra_roots=extra_roots).stat().st_size
            )
        except (ValueError, OSError):
            row["video_bytes"] = 0
        out.append(row)
    return sorted(out, key=lambda r: str(r["item_id"]))
