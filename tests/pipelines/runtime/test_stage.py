"""Stage bookkeeping without Ray: errors become failed rows, defaults filled, dropped/failed pass through."""

from __future__ import annotations

import pytest

from pipelines.runtime.stage import Stage, finish_row, run_stage


class Half(Stage):
    name = "half"

    def process(self, item: dict) -> dict | list[dict]:
        if item["x"] < 0:
            raise ValueError(f"negative x {item['x']}")
        if item["x"] == 0:
            return {**item, "status": "dropped", "drop_reasons": ["zero"]}
        if item["x"] == 99:
            return [{**item, "part": 0}, {**item, "part": 1}]
        return {**item, "half": item["x"] / 2}


def test_ok_row_gets_defaults() -> None:
    assert run_stage(Half(), {"item_id": "a", "x": 4}, "item_id") == [
        {"item_id": "a", "x": 4, "half": 2.0, "status": "ok", "drop_reasons": [], "error": None}
    ]


def test_exception_becomes_failed_row_with_type_and_message() -> None:
    (row,) = run_stage(Half(), {"item_id": "b", "x": -3}, "item_id")
    assert row == {
        "item_id": "b",
        "x": -3,
        "status": "failed",
        "drop_reasons": [],
        "error": "ValueError: negative x -3",
    }


def test_dropped_and_many_rows() -> None:
    (row,) = run_stage(Half(), {"item_id": "c", "x": 0}, "item_id")
    assert row["status"] == "dropped" and row["drop_reasons"] == ["zero"]
    rows = run_stage(Half(), {"item_id": "d", "x": 99}, "item_id")
    assert [r["part"] for r in rows] == [0, 1]


def test_failed_and_dropped_items_pass_through_untouched() -> None:
    for item in (
        {"item_id": "e", "x": 5, "status": "failed", "drop_reasons": [], "error": "boom"},
        {"item_id": "f", "x": 5, "status": "dropped", "drop_reasons": ["why"], "error": None},
    ):
        assert run_stage(Half(), item, "item_id") == [item]


def test_bad_rows_are_rejected_as_failures() -> None:
    class Bad(Stage):
        def process(self, item: dict) -> dict:
            return {**item, "status": "dropped"}  # no reason given

    (row,) = run_stage(Bad(), {"item_id": "g"}, "item_id")
    assert row["status"] == "failed" and "drop reason" in row["error"]
    with pytest.raises(ValueError, match="status must be one of"):
        finish_row({"status": "great"})
    (row,) = run_stage(Stage(), {"item_id": "h"}, "item_id")
    assert row["error"].startswith("NotImplementedError: Stage.process")


class _Batched(Stage):
    """Squares x for a batch in one call; x < 0 fails its item only, x == 13 fails the whole batch."""

    name = "batched"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def process_batch(self, items):
        self.calls.append(len(items))
        if any(it["x"] == 13 for it in items):
            raise RuntimeError("batch refused")
        return [
            ValueError(f"negative {it['x']}") if it["x"] < 0 else {**it, "y": it["x"] ** 2} for it in items
        ]


def test_run_stage_batch_one_call_per_batch_errors_per_item_and_pass_through():
    from pipelines.runtime.stage import run_stage_batch

    stage = _Batched()
    items = [
        {"id": "a", "x": 2},
        {"id": "b", "x": -1},
        {"id": "c", "x": 5, "status": "dropped", "drop_reasons": ["r"], "error": None},
        {"id": "d", "x": 3},
    ]
    out = run_stage_batch(stage, items, "id")
    assert stage.calls == [3]  # the dropped row never reaches the model
    assert [r[0]["status"] for r in out] == ["ok", "failed", "dropped", "ok"]
    assert out[0][0]["y"] == 4 and out[3][0]["y"] == 9
    assert out[1][0]["error"] == "ValueError: negative -1"
    whole = run_stage_batch(_Batched(), [{"id": "a", "x": 13}, {"id": "b", "x": 1}], "id")
    assert [r[0]["error"] for r in whole] == ["RuntimeError: batch refused"] * 2


def test_default_process_batch_calls_process_per_item():
    class Sq(Stage):
        def process(self, item):
            if item["x"] < 0:
                raise ValueError("neg")
            return {**item, "y": item["x"] ** 2}

    res = Sq().process_batch([{"id": "a", "x": 3}, {"id": "b", "x": -2}])
    assert res[0]["y"] == 9 and isinstance(res[1], ValueError)
