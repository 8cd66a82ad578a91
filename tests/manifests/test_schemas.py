import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from manifests.schemas import ID_COLUMN, SCHEMAS, detect_table, empty_table, rows_to_table, schema_for

SOURCES_COLUMNS = [
    "source_id", "uri", "path", "kind", "size_bytes", "duration_s", "fps", "num_frames", "width", "height",
    "codec", "rotation", "has_audio", "pose_path", "status", "drop_reasons", "error",
]  # fmt: skip


def test_eight_tables_with_metadata_and_shared_columns():
    assert set(SCHEMAS) == {
        "sources", "clips", "scenes", "renders", "annotations", "samples", "shards", "latents"
    }  # fmt: skip
    for name, schema in SCHEMAS.items():
        assert schema.metadata == {b"wp.table": name.encode(), b"wp.schema_version": b"1"}
        assert ID_COLUMN[name] in schema.names
        assert not schema.field(ID_COLUMN[name]).nullable
        assert schema.field("status").type == pa.string()
        assert pa.types.is_list(schema.field("drop_reasons").type)
        assert schema.field("error").nullable
        assert detect_table(schema) == name


def test_sources_matches_contract():
    s = schema_for("sources")
    assert s.names == SOURCES_COLUMNS
    assert s.field("width").type == pa.int32() and s.field("size_bytes").type == pa.int64()
    assert s.field("has_audio").type == pa.bool_() and s.field("pose_path").nullable


def test_unknown_table():
    with pytest.raises(ValueError, match="unknown manifest table"):
        schema_for("nope")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_empty_table_round_trips_through_parquet(name, tmp_path):
    t = empty_table(name)
    pq.write_table(t, tmp_path / "t.parquet")
    back = pq.read_table(tmp_path / "t.parquet")
    assert back.schema.equals(SCHEMAS[name], check_metadata=True)


def test_rows_to_table_fills_nulls_and_casts(tmp_path):
    rows = [
        {"clip_id": "c1", "source_id": "s", "start_frame": np.int64(0), "end_frame": 16, "status": "ok",
         "overlay_boxes": np.array([[0.1, 0.1, 0.5, 0.2]]), "width": np.int32(64), "path": tmp_path / "a.mp4"},
        {"clip_id": "c2", "source_id": "s", "start_frame": 16, "end_frame": 32, "status": "dropped",
         "drop_reasons": ["shake"], "score_shake": 0.9},
    ]  # fmt: skip
    t = rows_to_table("clips", rows)
    assert t.schema.equals(SCHEMAS["clips"], check_metadata=True)
    d = t.to_pylist()
    assert d[0]["score_shake"] is None and d[0]["error"] is None and d[0]["drop_reasons"] == []
    assert d[0]["path"] == str(tmp_path / "a.mp4")
    assert d[0]["overlay_boxes"] == [[pytest.approx(0.1), pytest.approx(0.1), 0.5, pytest.approx(0.2)]]
    assert d[1]["score_shake"] == 0.9 and d[1]["width"] is None
    pq.write_table(t, tmp_path / "clips.parquet")
    assert pq.read_table(tmp_path / "clips.parquet").to_pylist() == d


def test_rows_to_table_names_the_bad_column():
    base = {"clip_id": "c", "source_id": "s", "start_frame": 0, "end_frame": 4, "status": "ok"}
    with pytest.raises(ValueError, match=r"clips\.start_frame.*row 1"):
        rows_to_table("clips", [base, {**base, "start_frame": "zero"}])
    with pytest.raises(ValueError, match=r"clips\.score_shake"):
        rows_to_table("clips", [{**base, "score_shake": "high"}])
    with pytest.raises(ValueError, match=r"clips\.source_id.*required"):
        rows_to_table("clips", [{**base, "source_id": None}])
    with pytest.raises(ValueError, match=r"unknown column.*'bogus'"):
        rows_to_table("clips", [{**base, "bogus": 1}])
    with pytest.raises(ValueError, match=r"clips\.status"):
        rows_to_table("clips", [{**base, "status": "done"}])


def test_detect_table_fallbacks():
    assert detect_table(pa.schema([("clip_id", pa.string())])) == "clips"
    assert detect_table(pa.schema([("sample_key", pa.string()), ("item_id", pa.string())])) == "samples"
    assert detect_table(pa.schema([("x", pa.string())]), "/a/renders.parquet") == "renders"
    assert detect_table(pa.schema([("x", pa.string())]), "other.parquet") is None


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_detect_table_without_metadata(name):
    assert detect_table(SCHEMAS[name].remove_metadata()) == name
