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
