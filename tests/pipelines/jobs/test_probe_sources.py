"""probe_sources: discovery, ids, probing real files on an embedded Ray, failures and drops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

from manifests.ids import source_id
from pipelines.jobs.probe_sources import (
    ProbeConfig,
    ProbeStage,
    content_hash,
    discover_sources,
    probe_sources,
)


def _frames_folder(folder: Path, n: int, w: int = 80, h: int = 72) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"frame_{i:05d}.png"), np.full((h, w, 3), 10 * i, np.uint8))
    return folder


@pytest.fixture
def inputs(tmp_path: Path, make_video) -> Path:
    root = tmp_path / "in"
    make_video(root / "a_good.mp4", num_frames=20, width=96, height=64, fps=24)
    make_video(root / "sub" / "b_good.mp4", num_frames=30, width=128, height=72, fps=30)
    np.savez(root / "sub" / "b_good.npz", extrinsic=np.eye(4)[None])
    (root / "c_empty.mp4").write_bytes(b"")
    (root / "d_text.mp4").write_text("this is not a video\n" * 10)
    _frames_folder(root / "seq", 18)
    (root / "notes.txt").write_text("ignored")
    return root


def test_discovery_is_sorted_with_stable_ids(inputs: Path) -> None:
    items = discover_sources([inputs])
    names = [Path(i["path"]).name for i in items]
    assert names == ["a_good.mp4", "c_empty.mp4", "d_text.mp4", "seq", "b_good.mp4"]  # sorted by full path
    kinds = {Path(i["path"]).name: i["kind"] for i in items}
    assert kinds["seq"] == "image_sequence" and kinds["a_good.mp4"] == "video"
    a = items[0]
    assert (
        a["uri"] == (inputs / "a_good.mp4").as_uri()
        and a["size_bytes"] == (inputs / "a_good.mp4").stat().st_size
    )
    assert a["source_id"] == source_id(a["uri"], content_hash(inputs / "a_good.mp4"))
    assert discover_sources([inputs, inputs / "a_good.mp4"]) == items  # same file twice -> once
    assert {Path(i["path"]).name: i["pose_path"] for i in items}["b_good.mp4"] == str(
        inputs / "sub" / "b_good.npz"
    )
    with pytest.raises(FileNotFoundError, match="does not exist"):
        discover_sources([inputs / "missing"])


def test_content_hash_sees_edits(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"a" * 3_000_000)
    h = content_hash(f)
    f.write_bytes(b"a" * 2_999_999 + b"b")
    assert content_hash(f) != h


def test_probe_stage_drops_short_and_small(tmp_path: Path, make_video) -> None:
    path = make_video(tmp_path / "tiny.mp4", num_frames=5, width=48, height=32, fps=10)
    item = {"source_id": "s", "uri": path.as_uri(), "path": str(path), "kind": "video"}
    row = ProbeStage(ProbeConfig(min_frames=16, min_side=64)).process(item)
    assert row["status"] == "dropped" and row["drop_reasons"] == ["too_short", "too_small"]
    assert (row["num_frames"], row["width"], row["height"], row["fps"]) == (5, 48, 32, 10.0)


def test_probe_sources_job(ray_cluster, inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cfg = ProbeConfig(image_fps=12, min_frames=16, min_side=64)
    summary = probe_sources([inputs], out, config=cfg, progress=False)
    rows = {Path(r["path"]).name: r for r in pq.read_table(out / "manifests" / "sources.parquet").to_pylist()}
    assert len(rows) == 5 and summary.total.by_status == {"ok": 3, "dropped": 0, "failed": 2}
    a, b, seq = rows["a_good.mp4"], rows["b_good.mp4"], rows["seq"]
    assert (a["status"], a["fps"], a["width"], a["height"], a["num_frames"]) == ("ok", 24.0, 96, 64, 20)
    assert (b["status"], b["fps"], b["width"], b["height"], b["num_frames"]) == ("ok", 30.0, 128, 72, 30)
    assert a["codec"] == "h264" and a["kind"] == "video" and b["pose_path"].endswith("b_good.npz")
    assert (seq["kind"], seq["fps"], seq["num_frames"], seq["width"], seq["height"]) == (
        "image_sequence",
        12.0,
        18,
        80,
        72,
    )
    for bad in ("c_empty.mp4", "d_text.mp4"):
        r = rows[bad]
        assert r["status"] == "failed" and r["drop_reasons"] == [] and r["num_frames"] is None
        assert r["error"].startswith("VideoError: ") and bad in r["error"], r["error"]
    assert {r["source_id"] for r in rows.values()} == {i["source_id"] for i in discover_sources([inputs])}
