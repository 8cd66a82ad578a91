import pyarrow as pa
import pytest

from manifests.inspect import drop_reason_counts, failed, quantiles, show, stats, status_counts
from manifests.schemas import rows_to_table


def _clips() -> pa.Table:
    rows = []
    for i in range(21):
        status = "ok" if i % 3 == 0 else ("dropped" if i % 3 == 1 else "failed")
        rows.append(
            {"clip_id": f"c{i:02d}", "source_id": "s", "start_frame": 16 * i, "end_frame": 16 * i + 16,
             "score_shake": float(i), "status": status,
             "drop_reasons": ["shake", "overlay"] if i % 6 == 1 else (["shake"] if status == "dropped" else []),
             "error": f"boom {i}" if status == "failed" else None}
        )  # fmt: skip
    return rows_to_table("clips", rows)


def test_counts_and_quantiles():
    t = _clips()
    assert status_counts(t) == {"ok": 7, "dropped": 7, "failed": 7}
    assert drop_reason_counts(t) == {"shake": 7, "overlay": 4}
    q = quantiles(t)["score_shake"]
    assert q["count"] == 21 and q["p0"] == 0 and q["p50"] == 10 and q["p100"] == 20
    assert q["p5"] == pytest.approx(1.0) and q["p95"] == pytest.approx(19.0)
    assert quantiles(t)["score_crowd"] == {"count": 0.0}


def test_text_views():
    t = _clips()
    s = stats(t, width=200)
    assert "21 rows by status" in s and "overlay" in s and "score_shake" in s and "p95" in s
    assert "all null:" in s and "score_crowd" in s
    f = failed(t, width=200)
    assert "7 failed rows" in f and "boom 2" in f and "c00" not in f
    out = show(t, limit=3, columns=["clip_id", "score_shake"], width=200)
    assert "c00" in out and "c02" in out and "c03" not in out and "status" not in out
    with pytest.raises(ValueError, match="unknown column"):
        show(t, columns=["nope"])
    ok_only = t.filter(pa.compute.equal(t["status"], "ok"))
    assert "no failed rows (of 7)" in failed(ok_only)
