import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from manifests.io import write_manifest
from manifests.schemas import rows_to_table
from manifests.validate import validate_path, validate_table


def _good() -> pa.Table:
    return rows_to_table(
        "clips",
        [
            {"clip_id": "a", "source_id": "s", "start_frame": 0, "end_frame": 16, "status": "ok"},
            {"clip_id": "b", "source_id": "s", "start_frame": 16, "end_frame": 32, "status": "dropped",
             "drop_reasons": ["shake"]},
            {"clip_id": "c", "source_id": "s", "start_frame": 32, "end_frame": 48, "status": "failed",
             "error": "decode error"},
        ],
    )  # fmt: skip


def _set(table: pa.Table, name: str, values: list, type_: pa.DataType | None = None) -> pa.Table:
    i = table.schema.get_field_index(name)
    field = pa.field(name, type_ or table.schema.field(name).type)
    return table.set_column(i, field, pa.array(values, type=field.type))


def test_good_table_has_no_problems():
    assert validate_table("clips", _good()) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t.drop_columns(["fps"]), "missing column(s): fps"),
        (lambda t: t.append_column("bogus", pa.array([1, 2, 3])), "unexpected column(s): bogus"),
        (lambda t: _set(t, "width", [1, 2, 3], pa.int64()), "column width has type int64, expected int32"),
        (lambda t: _set(t, "status", ["ok", "dropped", "gone"]), "bad status value(s) ['gone']"),
        (lambda t: _set(t, "clip_id", ["a", None, "c"], pa.string()), "1 row(s) with a null id"),
        (lambda t: _set(t, "clip_id", ["a", "a", "c"]), "duplicate clip_id: a"),
        (lambda t: _set(t, "drop_reasons", [["x"], ["shake"], []]), "ok rows with drop_reasons: 1 row(s): a"),
        (lambda t: _set(t, "drop_reasons", [[], [], []]), "dropped rows without drop_reasons"),
        (lambda t: _set(t, "error", [None, None, None]), "failed rows without an error message: 1 row(s): c"),
        (
            lambda t: t.replace_schema_metadata({"wp.table": "clips", "wp.schema_version": "0"}),
            "schema version '0' != expected '1'",
        ),
        (lambda t: t.replace_schema_metadata({}), "no wp.schema_version"),
        (
            lambda t: t.replace_schema_metadata({"wp.table": "renders", "wp.schema_version": "1"}),
            "says table 'renders'",
        ),
    ],
)
def test_each_problem_kind_is_caught(mutate, expected):
    problems = validate_table("clips", mutate(_good()))
    assert any(expected in p for p in problems), problems


def test_required_column_with_nulls():
    t = _set(_good(), "source_id", ["s", None, "s"], pa.string())
    assert any("source_id is required but has 1 null" in p for p in validate_table("clips", t))


def test_action_histogram_length():
    rows = [{"item_id": "x", "status": "ok", "action_histogram": [1] * 80}]
    problems = validate_table("annotations", rows_to_table("annotations", rows))
    assert any("action_histogram not of length 81" in p for p in problems)


def test_large_string_columns_are_accepted():
    t = _good()
    t = t.set_column(
        0, pa.field("clip_id", pa.large_string(), nullable=False), t["clip_id"].cast(pa.large_string())
    )
    assert validate_table("clips", t) == []


def test_validate_path_detects_table(tmp_path):
    write_manifest(tmp_path / "anything.parquet", _good())
    assert validate_path(tmp_path / "anything.parquet") == ("clips", [])
    # no metadata: detected from the id column
    pq.write_table(_good().replace_schema_metadata({}), tmp_path / "x.parquet")
    name, problems = validate_path(tmp_path / "x.parquet")
    assert name == "clips" and problems == ["schema metadata has no wp.schema_version"]
    # neither metadata nor id column: from the file name
    pq.write_table(pa.table({"x": [1]}), tmp_path / "shards.parquet")
    name, problems = validate_path(tmp_path / "shards.parquet")
    assert name == "shards" and any("missing column(s): shard_id" in p for p in problems)
    pq.write_table(pa.table({"x": [1]}), tmp_path / "what.parquet")
    assert validate_path(tmp_path / "what.parquet")[0] is None
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    name, problems = validate_path(tmp_path / "broken.parquet")
    assert name is None and "cannot read manifest" in problems[0]
    assert validate_path(tmp_path / "missing.parquet")[1] == [
        f"no manifest at {tmp_path / 'missing.parquet'}"
    ]
