"""`wp ingest` through typer: a real run prints the summary table; bad input exits with a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import typer
from typer.testing import CliRunner

from pipelines.commands import ingest

app = typer.Typer()
app.command()(ingest.command)


def test_ingest_writes_manifest_and_prints_summary(ray_cluster, tmp_path: Path, make_video) -> None:
    make_video(tmp_path / "in" / "clip.mp4", num_frames=20, width=96, height=64, fps=24)
    (tmp_path / "in" / "broken.mov").write_bytes(b"\x00" * 100)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, [str(tmp_path / "in"), "--out", str(out), "--workers", "1", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "probe_sources" in result.output and "failed" in result.output
    rows = pq.read_table(out / "manifests" / "sources.parquet").to_pylist()
    assert sorted(r["status"] for r in rows) == ["failed", "ok"]
    assert (out / "jobs" / "probe_sources" / "summary.json").is_file()

    again = CliRunner().invoke(app, [str(tmp_path / "in"), "--out", str(out), "--no-progress"])
    assert again.exit_code == 0, again.output
    summary = json.loads((out / "jobs" / "probe_sources" / "summary.json").read_text())
    assert (summary["items"], summary["skipped"], summary["processed"]) == (
        2,
        1,
        1,
    )  # the failed one is retried


def test_ingest_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "input does not exist" in result.output
