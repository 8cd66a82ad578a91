"""The report: markdown and csv tables with "not computed: <reason>" where a metric has no value, a
json with everything, and one readable PNG per metric with the curves drawn."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np

from wpmodel.eval import METRICS, ProtocolSummary, write_report


def _summaries() -> list[ProtocolSummary]:
    f = np.arange(13, 61)
    short = ProtocolSummary(
        "short-term", 2, {"psnr": 21.5, "ssim": 0.7, "lpips": None, "rdist": 0.03, "tdist": 0.12},
        {"lpips": "no --lpips-weights given"},
        {"psnr": (f, 22 - 0.05 * f), "ssim": (f, 0.8 - 0.001 * f), "rdist": (f, 0.01 * np.ones(48)),
         "tdist": (f, np.linspace(0, 0.2, 48))},
    )  # fmt: skip
    long = ProtocolSummary(
        "long-term", 2, {"psnr": 15.0, "ssim": 0.4, "lpips": None, "rdist": None, "tdist": None},
        {"lpips": "no --lpips-weights given", "rdist": "SfM failed", "tdist": "SfM failed"},
        {"psnr": (4 * np.arange(12, 96), np.linspace(18, 12, 84)), "ssim": (4 * np.arange(12, 96), np.full(84, 0.4))},
    )  # fmt: skip
    return [short, long]


def test_write_report_writes_tables_json_and_one_plot_per_metric(tmp_path):
    paths = write_report(tmp_path / "rep", _summaries(), {"checkpoint": "ck"})
    md = paths["md"].read_text()
    assert "| short-term | 2 | 21.5000 | 0.7000 | not computed: no --lpips-weights given | 0.0300 |" in md
    assert (
        "| long-term | 2 | 15.0000 | 0.4000 | not computed: no --lpips-weights given | not computed: SfM failed"
        in md
    )
    rows = list(csv.DictReader(paths["csv"].open()))
    assert [r["protocol"] for r in rows] == ["short-term", "long-term"]
    assert rows[0]["psnr"] == "21.500000" and rows[0]["lpips"] == "" and rows[1]["rdist_note"] == "SfM failed"
    blob = json.loads(paths["json"].read_text())
    assert blob["checkpoint"] == "ck" and blob["summaries"][1]["values"]["rdist"] is None
    assert len(blob["summaries"][0]["curves"]["psnr"]["frame"]) == 48
    for m in METRICS:
        img = cv2.imread(str(paths[m]))
        assert img is not None and img.shape == (420, 720, 3)
    psnr = cv2.imread(str(paths["psnr"]))
    blue = (np.abs(psnr.astype(int) - [200, 90, 30]).sum(-1) < 40).sum()  # first curve's colour
    red = (np.abs(psnr.astype(int) - [40, 40, 220]).sum(-1) < 40).sum()  # second curve's colour
    assert blue > 200 and red > 200
    empty = cv2.imread(str(paths["lpips"]))
    assert not (np.abs(empty.astype(int) - [200, 90, 30]).sum(-1) < 40).any()  # nothing drawn
