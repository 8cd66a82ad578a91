"""run_job on a real embedded Ray: every item leaves as a row, summaries, determinism, resume after a kill."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import ray.cloudpickle
import yaml

from pipelines.runtime import Stage, run_job
from pipelines.runtime.store import list_parts, manifest_path

REPO = Path(__file__).resolve().parents[3]
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray workers cannot import test modules


class Square(Stage):
    """Squares x; fails on 3, drops 4."""

    name = "square"

    def process(self, item: dict) -> dict:
        if item["x"] == 3:
            raise ValueError("three is not allowed")
        if item["x"] == 4:
            return {**item, "status": "dropped", "drop_reasons": ["is_four"]}
        return {**item, "y": item["x"] ** 2}


class AddOne(Stage):
    name = "add_one"

    def process(self, item: dict) -> dict:
        return {**item, "y": item["y"] + 1}


def _items(n: int) -> list[dict]:
    return [{"item_id": f"item-{x:03d}", "x": x} for x in range(n)]


@pytest.mark.slow
def test_toy_stages_every_item_a_row(ray_cluster, tmp_path: Path) -> None:
    s = run_job(
        "toy", "toy", _items(8), [Square(), AddOne()], tmp_path / "a", id_column="item_id", progress=False
    )
    rows = {r["item_id"]: r for r in pq.read_table(s.manifest_path).to_pylist()}
    assert len(rows) == 8
    assert (
        rows["item-003"]["status"] == "failed"
        and rows["item-003"]["error"] == "ValueError: three is not allowed"
    )
    assert rows["item-003"]["drop_reasons"] == [] and rows["item-003"]["y"] is None
    assert rows["item-004"]["status"] == "dropped" and rows["item-004"]["drop_reasons"] == ["is_four"]
    assert rows["item-005"] == {
        "item_id": "item-005",
        "x": 5,
        "y": 26,
        "status": "ok",
        "drop_reasons": [],
        "error": None,
    }
    assert s.total.by_status == {"ok": 6, "dropped": 1, "failed": 1} and s.total.by_drop_reason == {
        "is_four": 1
    }
    assert (s.items, s.processed, s.skipped, s.lost, s.ray_mode) == (8, 8, 0, 0, "reused")
    on_disk = json.loads((tmp_path / "a/jobs/toy/summary.json").read_text())
    assert on_disk["run"]["by_status"] == {"ok": 6, "dropped": 1, "failed": 1}
    config = yaml.safe_load((tmp_path / "a/jobs/toy/config.yaml").read_text())
    assert [st["name"] for st in config["stages"]] == ["square", "add_one"]

    again = run_job(
        "toy", "toy", _items(8), [Square(), AddOne()], tmp_path / "b", id_column="item_id", progress=False
    )
    assert Path(s.manifest_path).read_bytes() == Path(again.manifest_path).read_bytes()

    rerun = run_job(
        "toy", "toy", _items(8), [Square(), AddOne()], tmp_path / "a", id_column="item_id", progress=False
    )
    assert (rerun.skipped, rerun.processed) == (7, 1)  # only the failed item is retried
    assert rerun.total.by_status == {"ok": 6, "dropped": 1, "failed": 1}


class Crash(Stage):
    """Kills its worker process on x == 2 (a segfaulting decoder, say)."""

    name = "crash"

    def process(self, item: dict) -> dict:
        if item["x"] == 2:
            os._exit(1)
        return {**item, "y": 1}


@pytest.mark.slow
def test_item_lost_by_a_dead_worker_becomes_a_failed_row(ray_cluster, tmp_path: Path) -> None:
    s = run_job("crash", "toy", _items(4), [Crash()], tmp_path, id_column="item_id", progress=False)
    rows = {r["item_id"]: r for r in pq.read_table(s.manifest_path).to_pylist()}
    assert len(rows) == 4 and s.lost == 1
    lost = rows["item-002"]
    assert lost["status"] == "failed" and lost["error"].startswith("lost by the runtime")
    assert [rows[f"item-00{k}"]["status"] for k in (0, 1, 3)] == ["ok"] * 3


class CrashNoRetry(Crash):
    """Crash, without Ray's task retries: the batch queued behind the crash is lost with it."""

    max_retries = 0


@pytest.mark.slow
def test_items_queued_behind_a_crash_are_run_again_in_isolation(ray_cluster, tmp_path: Path) -> None:
    # one actor with two batches in flight: item 3 waits behind item 2, which kills the worker
    s = run_job(
        "crash",
        "toy",
        _items(6),
        [CrashNoRetry()],
        tmp_path,
        id_column="item_id",
        progress=False,
        concurrency=1,
    )
    rows = {r["item_id"]: r for r in pq.read_table(s.manifest_path).to_pylist()}
    assert len(rows) == 6 and s.lost == 1
    assert rows["item-002"]["status"] == "failed"
    assert [rows[f"item-00{k}"]["status"] for k in (0, 1, 3, 4, 5)] == ["ok"] * 5


def test_items_without_ids_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no 'item_id'"):
        run_job("toy", "toy", [{"x": 1}], [Square()], tmp_path, id_column="item_id")
    with pytest.raises(ValueError, match="duplicate item_id"):
        run_job("toy", "toy", [{"item_id": "a"}, {"item_id": "a"}], [Square()], tmp_path, id_column="item_id")


SLOW_JOB = textwrap.dedent(
    """
    import sys, time
    from pipelines.runtime import Stage, run_job

    class Slow(Stage):
        name = "slow"
        def process(self, item):
            time.sleep(0.3)
            return {**item, "y": item["x"] * 10}

    items = [{"item_id": f"item-{x:03d}", "x": x} for x in range(int(sys.argv[2]))]
    run_job("slow", "toy", items, [Slow()], sys.argv[1], id_column="item_id", num_cpus=1,
            concurrency=1, flush_rows=1, progress=False)
    """
)


class Fast(Stage):
    name = "slow"

    def process(self, item: dict) -> dict:
        return {**item, "y": item["x"] * 10}


@pytest.mark.slow
def test_resume_after_kill_matches_uninterrupted_run(ray_cluster, kill_job_midway, tmp_path: Path) -> None:
    n = 24
    out = tmp_path / "killed"
    kill_job_midway(SLOW_JOB, [str(out), str(n)], lambda: len(list_parts(out, "toy")) >= 2, timeout_s=120)
    assert not manifest_path(out, "toy").exists()
    done_before = len(pq.read_table(list_parts(out, "toy")[0]).to_pylist())
    assert done_before >= 1

    resumed = run_job(
        "slow",
        "toy",
        [{"item_id": f"item-{x:03d}", "x": x} for x in range(n)],
        [Fast()],
        out,
        id_column="item_id",
        progress=False,
    )
    assert resumed.skipped >= 2 and resumed.processed == n - resumed.skipped
    clean = run_job(
        "slow",
        "toy",
        [{"item_id": f"item-{x:03d}", "x": x} for x in range(n)],
        [Fast()],
        tmp_path / "clean",
        id_column="item_id",
        progress=False,
    )
    assert pq.read_table(resumed.manifest_path).to_pylist() == pq.read_table(clean.manifest_path).to_pylist()
    assert not list_parts(out, "toy")


@pytest.mark.slow
def test_actor_pool_no_larger_than_the_items(ray_cluster, tmp_path: Path) -> None:
    """A job of fewer items than workers starts one actor per item (Ray Data warns about idle ones)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = run_job(
            "one", "one", _items(1), [Square()], tmp_path, id_column="item_id", progress=False, concurrency=3
        )
    assert s.total.by_status == {"ok": 1, "dropped": 0, "failed": 0}
    assert not [w for w in caught if "concurrent actors" in str(w.message)], [str(w.message) for w in caught]
