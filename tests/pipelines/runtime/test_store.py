"""Manifest store: atomic part files, compaction (latest row wins, sorted), done ids for resume."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.runtime.store import ManifestStore, done_ids, list_parts, manifest_path, parts_dir


def _row(i: str, status: str = "ok", uri: str | None = None) -> dict:
    reasons = ["short"] if status == "dropped" else []
    error = "VideoError: bad" if status == "failed" else None
    return {
        "source_id": i,
        "uri": uri or f"file:///{i}",
        "status": status,
        "drop_reasons": reasons,
        "error": error,
    }


def test_parts_flush_every_k_rows_and_compact(tmp_path: Path) -> None:
    store = ManifestStore(tmp_path, "sources", flush_rows=2, flush_seconds=3600)
    for i in ("c", "a", "b"):
        store.add(_row(i))
    assert [p.name for p in list_parts(tmp_path, "sources")] == ["part-000000.parquet"]
    assert done_ids(tmp_path, "sources") == {"a", "c"}  # parts count before compaction
    tbl = store.compact()
    assert tbl.column("source_id").to_pylist() == ["a", "b", "c"]
    assert not list_parts(tmp_path, "sources") and not any(parts_dir(tmp_path, "sources").iterdir())
    on_disk = pq.read_table(manifest_path(tmp_path, "sources"))
    assert on_disk.schema.metadata[b"wp.table"] == b"sources"
    assert on_disk.column("source_id").to_pylist() == ["a", "b", "c"]


def test_latest_row_wins_and_failed_ids_are_not_done(tmp_path: Path) -> None:
    first = ManifestStore(tmp_path, "sources", flush_rows=10)
    for r in (_row("a", "failed"), _row("b", "dropped"), _row("c", "ok", uri="file:///old")):
        first.add(r)
    first.compact()
    assert done_ids(tmp_path, "sources") == {"b", "c"}
    second = ManifestStore(tmp_path, "sources", flush_rows=1)
    second.add(_row("a", "ok"))
    second.add(_row("c", "ok", uri="file:///new"))
    assert done_ids(tmp_path, "sources") == {"a", "b", "c"}
    rows = {r["source_id"]: r for r in second.compact().to_pylist()}
    assert rows["a"]["status"] == "ok" and rows["c"]["uri"] == "file:///new" and len(rows) == 3


def test_new_store_continues_part_numbers_of_a_killed_run(tmp_path: Path) -> None:
    killed = ManifestStore(tmp_path, "sources", flush_rows=1)
    killed.add(_row("a"))
    killed.add(_row("b"))  # never compacted: as if the job was killed here
    resumed = ManifestStore(tmp_path, "sources", flush_rows=1)
    resumed.add(_row("a", "failed"))
    names = [p.name for p in list_parts(tmp_path, "sources")]
    assert names == ["part-000000.parquet", "part-000001.parquet", "part-000002.parquet"]
    assert done_ids(tmp_path, "sources") == {"b"}


def test_bad_rows_give_clear_errors(tmp_path: Path) -> None:
    store = ManifestStore(tmp_path, "sources", flush_rows=1)
    with pytest.raises(KeyError, match="no id column 'source_id'"):
        store.add({"uri": "x"})
    with pytest.raises(ValueError, match="unknown column"):
        store.add({**_row("a"), "colour": "red"})
    with pytest.raises(KeyError, match="unknown manifest table"):
        ManifestStore(tmp_path, "nonsense")


def test_unknown_table_with_explicit_id_column(tmp_path: Path) -> None:
    store = ManifestStore(tmp_path, "toy", id_column="item_id", flush_rows=1)
    store.add({"item_id": "z", "y": 1, "status": "ok", "drop_reasons": [], "error": None})
    store.add({"item_id": "y", "y": None, "status": "failed", "drop_reasons": [], "error": "E: x"})
    assert store.compact().column("item_id").to_pylist() == ["y", "z"]
    assert done_ids(tmp_path, "toy", "item_id") == {"z"}


def test_compact_with_no_rows_writes_an_empty_manifest(tmp_path: Path) -> None:
    """A job whose items were all filtered out upstream still leaves a valid, empty manifest."""
    from manifests.validate import validate_path

    tbl = ManifestStore(tmp_path, "clips").compact()
    assert tbl.num_rows == 0
    assert validate_path(tmp_path / "manifests" / "clips.parquet") == ("clips", [])


def test_rows_of_an_unknown_table_keep_every_column_whatever_the_first_row_has() -> None:
    from pipelines.runtime.store import rows_to_arrow

    rows = [
        {"item_id": "a", "status": "failed", "error": "boom"},  # a failed item: no "y"
        {"item_id": "b", "status": "ok", "y": 26},
    ]
    tbl = rows_to_arrow("toy", rows)
    assert tbl.column_names == ["item_id", "status", "error", "y"]
    assert tbl.to_pylist() == [
        {"item_id": "a", "status": "failed", "error": "boom", "y": None},
        {"item_id": "b", "status": "ok", "error": None, "y": 26},
    ]
