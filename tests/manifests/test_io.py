import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from manifests.io import read_manifest, write_manifest
from manifests.schemas import SCHEMAS, rows_to_table


def _rows(order):
    return [
        {"source_id": f"s{i}", "uri": f"file:///v{i}.mp4", "kind": "video", "fps": 30.0, "num_frames": 10 * i,
         "width": 64, "height": 48, "has_audio": i % 2 == 0, "status": "ok" if i != 2 else "failed",
         "error": "bad" if i == 2 else None}
        for i in order
    ]  # fmt: skip


def test_write_sorts_by_id_and_is_byte_deterministic(tmp_path):
    a = write_manifest(tmp_path / "a" / "sources.parquet", rows_to_table("sources", _rows([3, 1, 2])))
    b = write_manifest(tmp_path / "b" / "sources.parquet", rows_to_table("sources", _rows([2, 3, 1])))
    assert a.read_bytes() == b.read_bytes()
    back = read_manifest(a)
    assert back["source_id"].to_pylist() == ["s1", "s2", "s3"]
    assert back.schema.equals(SCHEMAS["sources"], check_metadata=True)
    assert [p.name for p in a.parent.iterdir()] == ["sources.parquet"]  # no temp file left


def test_same_rows_in_pandas_pyarrow_duckdb_polars(tmp_path):
    path = write_manifest(tmp_path / "sources.parquet", rows_to_table("sources", _rows([2, 1, 3])))
    cols = ["source_id", "num_frames", "width", "has_audio", "status", "error"]
    expected = [tuple(r[c] for c in cols) for r in read_manifest(path).select(cols).to_pylist()]
    via_pq = [tuple(r[c] for c in cols) for r in pq.read_table(path, columns=cols).to_pylist()]
    df = pd.read_parquet(path)
    via_pd = [tuple(None if pd.isna(v) else v for v in row) for row in df[cols].itertuples(index=False)]
    via_duck = duckdb.sql(
        f"select {', '.join(cols)} from read_parquet('{path}') order by source_id"
    ).fetchall()
    via_pl = pl.read_parquet(path).select(cols).rows()
    assert len(expected) == 3
    assert via_pq == expected
    assert [tuple(v.item() if hasattr(v, "item") else v for v in r) for r in via_pd] == expected
    assert via_duck == expected
    assert via_pl == expected
    assert list(pl.read_parquet(path)["drop_reasons"]) and df["drop_reasons"].map(len).tolist() == [0, 0, 0]


def test_read_directory_dataset(tmp_path):
    write_manifest(tmp_path / "ds" / "part-0.parquet", rows_to_table("sources", _rows([1])), "sources")
    write_manifest(tmp_path / "ds" / "part-1.parquet", rows_to_table("sources", _rows([2, 3])), "sources")
    t = read_manifest(tmp_path / "ds")
    assert sorted(t["source_id"].to_pylist()) == ["s1", "s2", "s3"]
    assert t.schema.metadata[b"wp.table"] == b"sources"


def test_read_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no manifest"):
        read_manifest(tmp_path / "nope.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .parquet files"):
        read_manifest(tmp_path / "empty")
    (tmp_path / "bad.parquet").write_text("x")
    with pytest.raises(ValueError, match="cannot read manifest"):
        read_manifest(tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match=r"must end in \.parquet"):
        write_manifest(tmp_path / "x.csv", rows_to_table("sources", _rows([1])))
