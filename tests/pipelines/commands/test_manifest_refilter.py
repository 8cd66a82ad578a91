"""`wp manifest refilter`: re-decide a real clips parquet in place or to --out, with a YAML and --set."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from manifests.io import read_manifest, write_manifest
from manifests.schemas import rows_to_table
from manifests.validate import validate_path
from pipelines.commands.manifest import app

runner = CliRunner()


def _write(path):
    base = {
        "source_id": "s",
        "start_frame": 0,
        "end_frame": 75,
        "duration_s": 5.0,
        "width": 640,
        "height": 360,
        "score_motion_reliable": 0.9,
        "score_motion": 0.2,
        "score_sharpness": 0.6,
        "score_brightness": 90.0,
        "score_dark_fraction": 0.0,
        "score_bright_fraction": 0.0,
    }
    rows = [
        {**base, "clip_id": "a", "score_shake": 0.1, "status": "ok"},
        {**base, "clip_id": "b", "score_shake": 0.45, "status": "ok"},
        {**base, "clip_id": "c", "score_shake": 0.9, "score_sharpness": 0.1, "status": "dropped",
         "drop_reasons": ["shake", "blurred"]},
        {**base, "clip_id": "d", "score_shake": 5.0, "status": "failed", "error": "decode failed"},
        {**base, "clip_id": "e", "score_shake": 0.1, "score_brightness": 3.0, "status": "ok"},
    ]  # fmt: skip
    return write_manifest(path, rows_to_table("clips", rows))


def _by_id(path):
    return {r["clip_id"]: (r["status"], r["drop_reasons"]) for r in read_manifest(path).to_pylist()}


def test_refilter_in_place_with_yaml_and_set(tmp_path):
    path = _write(tmp_path / "clips.parquet")
    (tmp_path / "th.yaml").write_text(
        yaml.safe_dump({"thresholds": {"max_shake": 0.4, "min_sharpness": 0.05}})
    )
    res = runner.invoke(app, ["refilter", str(path), "--thresholds", str(tmp_path / "th.yaml")])
    assert res.exit_code == 0, res.output
    assert _by_id(path) == {
        "a": ("ok", []),
        "b": ("dropped", ["shake"]),
        "c": ("dropped", ["shake"]),  # blurred no longer applies at min_sharpness 0.05
        "d": ("failed", []),  # failed rows are never re-decided
        "e": ("dropped", ["too_dark"]),
    }
    assert "5 rows, 3 changed" in res.output
    assert "ok: 3 -> 1" in res.output and "dropped: 1 -> 3" in res.output and "failed: 1 -> 1" in res.output
    assert "shake: 1 -> 2" in res.output and "blurred: 1 -> 0" in res.output
    assert validate_path(path)[1] == []
    res = runner.invoke(app, ["refilter", str(path), "-t", str(tmp_path / "th.yaml"), "--set", "max_shake=1"])
    assert res.exit_code == 0 and _by_id(path)["b"] == ("ok", []) and _by_id(path)["c"] == ("ok", [])


def test_refilter_to_out_keeps_input_and_defaults(tmp_path):
    path = _write(tmp_path / "clips.parquet")
    before = path.read_bytes()
    out = tmp_path / "re" / "clips.parquet"
    res = runner.invoke(app, ["refilter", str(path), "--out", str(out), "--set", "min_brightness=2"])
    assert res.exit_code == 0, res.output
    assert path.read_bytes() == before
    got = _by_id(out)
    assert got["e"] == ("ok", []) and got["c"] == ("dropped", ["blurred"]) and got["d"][0] == "failed"
    assert read_manifest(out).num_rows == 5


def test_refilter_errors(tmp_path):
    path = _write(tmp_path / "clips.parquet")
    assert runner.invoke(app, ["refilter", str(path), "--set", "nope=1"]).exit_code == 2
    assert runner.invoke(app, ["refilter", str(path), "--set", "max_shake"]).exit_code == 2
    assert runner.invoke(app, ["refilter", str(tmp_path / "missing.parquet")]).exit_code == 2
    src = write_manifest(
        tmp_path / "sources.parquet",
        rows_to_table("sources", [{"source_id": "x", "uri": "u", "status": "ok"}]),
    )
    res = runner.invoke(app, ["refilter", str(src)])
    assert res.exit_code == 2 and "clips manifest" in res.output
    assert runner.invoke(app, ["refilter", "--help"]).exit_code == 0
