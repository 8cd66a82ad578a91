"""``wp shard`` on a small annotated job folder with real Ray: shards read by webdataset and wids,
byte-identical reruns, resume, windows, and bad rows as failed / dropped samples."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest
import webdataset as wds
import wids
from typer.testing import CliRunner

from manifests.io import read_manifest
from pipelines.jobs.shard import shard
from pipelines.jobs.shard_config import load_shard_config
from wpdata.video.pattern import pattern_index

pytestmark = pytest.mark.slow  # several Ray jobs (each ~5-10 s on 2 shared cores)

HELPER = Path(__file__).resolve().parents[2] / "wpdata" / "shards" / "annotated_root.py"
WINDOWED = {"plan": {"window_latents": 3, "max_samples": 3, "val_fraction": 0.3}}


def _helper():
    spec = importlib.util.spec_from_file_location("shard_job_annotated_root", HELPER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def job(tmp_path_factory, ray_cluster) -> dict:
    """Annotated root (33, 21, 9, 5 frames) plus three odd rows; sharded in windows of 3 latents."""
    helper = _helper()
    root = tmp_path_factory.mktemp("root")
    info = helper.make_annotated_root(root, lengths=(33, 21, 9, 5))
    rows = info["annotation_rows"]
    weird = {**rows[1], "item_id": "weird id/with.dots"}  # same files as clip 1, unsafe id
    missing = {**rows[2], "item_id": "bad-missing", "pose_path": "../annotations/nope.poses.npz"}
    outside = tmp_path_factory.mktemp("outside") / "x.mp4"
    outside.write_bytes(info["mp4"][rows[2]["item_id"]].read_bytes())
    escape = {**rows[2], "item_id": "bad-escape", "video_path": f"../../{outside.parent.name}/x.mp4"}
    helper.write_annotations(root, [*rows, weird, missing, escape])
    out = tmp_path_factory.mktemp("out")
    cfg = load_shard_config(overrides=WINDOWED)
    result = shard(root, out, config=cfg, progress=False)
    return {"root": root, "out": out, "cfg": cfg, "result": result, **info}


def _samples(job: dict) -> dict[str, dict]:
    return {
        r["sample_key"]: r for r in read_manifest(job["out"] / "manifests" / "samples.parquet").to_pylist()
    }


def _tars(out: Path) -> list[Path]:
    return sorted((out / "shards").glob("*.tar"))


def test_every_planned_sample_has_a_row_with_its_status(job) -> None:
    rows = _samples(job)
    c0, c1, c2, c3 = job["ids"]
    assert [k for k in rows if k.startswith(c0)] == [f"{c0}_w{s:06d}" for s in (0, 12, 24)]
    assert rows[f"{c3}_w000000"]["status"] == "dropped"
    assert rows[f"{c3}_w000000"]["drop_reasons"] == ["shorter_than_window"]
    assert rows["weird_id_with_dots_w000012"]["status"] == "ok"  # key sanitised
    bad = rows["bad-missing_w000000"]
    assert bad["status"] == "failed" and "nope.poses.npz" in bad["error"] and "not found" in bad["error"]
    esc = rows["bad-escape_w000000"]
    assert esc["status"] == "failed" and "escapes the dataset root" in esc["error"]
    assert str(job["root"].resolve()) in esc["error"]
    ok = [r for r in rows.values() if r["status"] == "ok"]
    assert len(ok) == 3 + 2 + 1 + 2 and all(r["num_bytes"] > 0 and r["shard_id"] for r in ok)
    assert job["result"].samples_by_status == {"dropped": 1, "failed": 2, "ok": 8}


def test_shards_are_read_by_webdataset_and_wids(job, monkeypatch, tmp_path) -> None:
    rows = _samples(job)
    ok_keys = sorted(k for k, r in rows.items() if r["status"] == "ok")
    got = list(wds.WebDataset([str(p) for p in _tars(job["out"])], shardshuffle=False))
    assert sorted(s["__key__"] for s in got) == ok_keys
    # stock webdataset lower-cases suffixes: the layout's "K.npy" arrives as "k.npy"
    assert all({"mp4", "c2w.npy", "k.npy", "action.npy", "json"} <= set(s) for s in got)
    shards = read_manifest(job["out"] / "manifests" / "shards.parquet").to_pylist()
    assert all(r["status"] == "ok" and r["path"].startswith("../shards/") for r in shards)
    for r in shards:
        tar = job["out"] / "manifests" / r["path"]
        assert hashlib.sha256(tar.read_bytes()).hexdigest() == r["sha256"]
        assert r["num_samples"] <= 3 and r["index_path"] == f"../shards/{r['split']}.wids.json"
    monkeypatch.setenv("WIDS_CACHE", str(tmp_path / "cache"))
    total = 0
    for split, index in job["result"].index_paths.items():
        ds = wids.ShardListDataset(str(index))
        keys = [ds[i]["__key__"] for i in range(len(ds))]
        assert all(rows[k]["shard_id"].startswith(split) for k in keys)
        total += len(ds)
    assert total == len(ok_keys)


def test_window_members_are_the_right_frames_poses_and_actions(job, tmp_path) -> None:
    c0 = job["ids"][0]
    key = f"{c0}_w000024"
    (sample,) = [
        s
        for s in wds.WebDataset([str(p) for p in _tars(job["out"])], shardshuffle=False)
        if s["__key__"] == key
    ]
    (tmp_path / "w.mp4").write_bytes(sample["mp4"])
    from wpdata.video import decode_frames

    assert [pattern_index(f) for f in decode_frames(tmp_path / "w.mp4")] == list(range(24, 33))
    c2w = np.load(io.BytesIO(sample["c2w.npy"]))
    np.testing.assert_array_equal(c2w, job["c2w"][c0][24:33])
    np.testing.assert_array_equal(np.load(io.BytesIO(sample["action.npy"])), (7 * np.arange(6, 9)) % 81)
    meta = json.loads(sample["json"])
    assert meta["item_id"] == c0 and meta["num_frames"] == 9 and meta["provenance"]["window_start"] == 24


def _snapshot(out: Path) -> dict[str, bytes]:
    files = _tars(out) + sorted((out / "shards").glob("*.wids.json"))
    files += [out / "manifests" / "samples.parquet", out / "manifests" / "shards.parquet"]
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


def test_rerun_into_a_fresh_folder_is_byte_identical(job, tmp_path) -> None:
    shard(job["root"], tmp_path, config=job["cfg"], progress=False)
    assert _snapshot(tmp_path) == _snapshot(job["out"])


def test_rerun_in_place_skips_complete_shards_and_repairs_a_damaged_one(job) -> None:
    before = _snapshot(job["out"])
    records = [json.loads(p.read_text()) for p in sorted((job["out"] / "shards" / ".status").glob("*.json"))]
    # shards that left a sample out are retried (its input may have been fixed); the others are skipped
    retried = {r["shard_id"] for r in records if any(s["status"] != "ok" for s in r["samples"])}
    assert retried  # the shard(s) of bad-escape / bad-missing
    damaged = next(p for p in _tars(job["out"]) if p.stem not in retried)
    damaged.write_bytes(damaged.read_bytes()[:1000])
    again = shard(job["root"], job["out"], config=job["cfg"], progress=False)
    all_ids = {p.stem for p in _tars(job["out"])}
    assert set(again.skipped_shards) == all_ids - {damaged.stem} - retried
    assert again.summary.processed == 1 + len(retried)
    assert _snapshot(job["out"]) == before
    assert _samples(job)["bad-escape_w000000"]["shard_id"] is None


def test_cli_whole_clips_copy_the_clip_files(job, tmp_path) -> None:
    from pipelines.cli import app

    res = CliRunner().invoke(app, ["shard", str(job["root"]), "--out", str(tmp_path), "--no-progress"])
    assert res.exit_code == 0, res.output
    got = {s["__key__"]: s for s in wds.WebDataset([str(p) for p in _tars(tmp_path)], shardshuffle=False)}
    for cid in job["ids"]:
        assert got[cid]["mp4"] == job["mp4"][cid].read_bytes()
    assert (tmp_path / "shards" / "train.wids.json").exists()
    missing = CliRunner().invoke(app, ["shard", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "no annotations manifest" in missing.output


def test_a_shard_whose_samples_all_fail_writes_no_tar_and_records_why(job, tmp_path) -> None:
    from pipelines.jobs.shard import _tasks
    from pipelines.jobs.shard_inputs import joined_rows
    from pipelines.jobs.shard_stage import WriteShardStage, read_status, shard_path
    from wpdata.shards import make_plan

    rows = [r for r in joined_rows(job["root"]) if r["item_id"] == "bad-missing"]
    plan = make_plan(rows, job["cfg"].plan)
    tasks = _tasks(plan, rows, job["cfg"], [])
    (sid,) = tasks
    stage = WriteShardStage(tasks, job["root"], tmp_path, job["cfg"].encode)
    with pytest.raises(RuntimeError, match="all 1 samples failed; first: FileNotFoundError"):
        stage.process({"shard_id": sid, "split": "train", "path": "x", "index_path": "y"})
    assert not shard_path(tmp_path, sid).exists()
    assert [p.name for p in (tmp_path / "shards").iterdir()] == [".status"]
    (outcome,) = read_status(tmp_path, sid)["samples"]
    assert outcome["status"] == "failed" and "nope.poses.npz" in outcome["error"]
