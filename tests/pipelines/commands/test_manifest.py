import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from manifests.io import write_manifest
from manifests.schemas import rows_to_table
from pipelines.commands.manifest import app

runner = CliRunner()


def _write(path):
    rows = [
        {"clip_id": f"c{i}", "source_id": "s", "start_frame": 0, "end_frame": 16, "score_motion": i / 10,
         "status": ["ok", "dropped", "failed"][i % 3], "drop_reasons": [[], ["crowd"], []][i % 3],
         "error": [None, None, "decode failed"][i % 3]}
        for i in range(9)
    ]  # fmt: skip
    return write_manifest(path, rows_to_table("clips", rows))


def test_stats_show_failed(tmp_path):
    path = _write(tmp_path / "clips.parquet")
    res = runner.invoke(app, ["stats", str(path)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "9 rows by status" in res.output
    for word in ("ok", "dropped", "failed", "crowd", "score_motion", "p50", "p95"):
        assert word in res.output
    res = runner.invoke(app, ["show", str(path), "--limit", "2", "--columns", "clip_id,status"])
    assert (
        res.exit_code == 0
        and "c1" in res.output
        and "c2" not in res.output
        and "score_motion" not in res.output
    )
    res = runner.invoke(app, ["failed", str(path)])
    assert res.exit_code == 0 and "3 failed rows" in res.output and "decode failed" in res.output
    assert runner.invoke(app, ["show", str(path), "--columns", "nope"]).exit_code == 2


def test_validate_exit_codes(tmp_path):
    good = _write(tmp_path / "clips.parquet")
    res = runner.invoke(app, ["validate", str(good)])
    assert res.exit_code == 0 and "valid clips manifest" in res.output
    t = pq.read_table(good)
    broken = t.set_column(t.schema.get_field_index("status"), "status", pa.array(["ok", "??"] * 4 + ["ok"]))
    pq.write_table(broken, tmp_path / "broken.parquet")
    res = runner.invoke(app, ["validate", str(tmp_path / "broken.parquet")])
    assert res.exit_code == 1 and "bad status value(s) ['??']" in res.output
    assert runner.invoke(app, ["validate", str(tmp_path / "missing.parquet")]).exit_code == 1
    assert runner.invoke(app, ["stats", str(tmp_path / "missing.parquet")]).exit_code == 2


def test_help_texts():
    for cmd in ("show", "stats", "failed", "validate"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "Manifest" in res.output
