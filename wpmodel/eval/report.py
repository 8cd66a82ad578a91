"""The evaluation report: a markdown and a csv table (one row per protocol, the paper's Table 2
columns), a json with everything, and one PNG per metric over time drawn with cv2 (no matplotlib).

A metric that could not be computed is ``None`` with a reason; tables show ``not computed: <reason>``,
never a number.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from manifests.atomic import atomic_path

METRICS = ("psnr", "ssim", "lpips", "rdist", "tdist")
TITLES = {"psnr": "PSNR (dB, higher better)", "ssim": "SSIM (higher better)", "lpips": "LPIPS (lower better)",
          "rdist": "Rdist (rad, lower better)", "tdist": "Tdist (lower better)"}  # fmt: skip
COLOURS = [(200, 90, 30), (40, 40, 220), (40, 160, 40), (160, 40, 160), (30, 160, 200)]  # BGR


@dataclass
class ProtocolSummary:
    """One protocol's results: means over clips, reasons for metrics not computed, curves over time."""

    protocol: str
    clips: int
    values: dict[str, float | None]  # metric -> mean over clips, None when not computed
    notes: dict[str, str] = field(default_factory=dict)  # metric -> why it was not computed
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )  # metric -> (frame [N], value [N])

    def cell(self, metric: str, digits: int = 4) -> str:
        """The table cell of a metric: the value, or ``not computed: <reason>``."""
        v = self.values.get(metric)
        if v is None or not math.isfinite(v):
            return "not computed: " + self.notes.get(metric, "no value")
        return f"{v:.{digits}f}"


def markdown_table(summaries: list[ProtocolSummary]) -> str:
    """Markdown table: protocol, clips, then the five metrics."""
    head = [
        "protocol",
        "clips",
        *(m.upper() if m in ("psnr", "ssim", "lpips") else m.capitalize() for m in METRICS),
    ]
    rows = [f"| {' | '.join(head)} |", "|" + "---|" * len(head)]
    for s in summaries:
        rows.append(f"| {s.protocol} | {s.clips} | " + " | ".join(s.cell(m) for m in METRICS) + " |")
    return "\n".join(rows) + "\n"


def write_csv(path: str | Path, summaries: list[ProtocolSummary]) -> Path:
    """report.csv: one row per protocol; empty values where not computed, the reason in ``<m>_note``."""
    path = Path(path)
    with atomic_path(path, suffix=".csv") as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["protocol", "clips", *METRICS, *(f"{m}_note" for m in METRICS)])
        for s in summaries:
            vals = [s.cell(m, 6) if not s.cell(m).startswith("not computed") else "" for m in METRICS]
            w.writerow([s.protocol, s.clips, *vals, *(s.notes.get(m, "") for m in METRICS)])
    return path


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    return np.linspace(lo, hi, n)


def plot_curves(
    path: str | Path, title: str, curves: dict[str, tuple[np.ndarray, np.ndarray]], note: str = "",
    size: tuple[int, int] = (720, 420),
) -> Path:  # fmt: skip
    """A line plot PNG of ``{label: (x [N], y [N])}`` (non-finite points skipped); ``note`` is printed
    on an empty plot (e.g. why the metric was not computed)."""
    W, H = size
    img = np.full((H, W, 3), 255, np.uint8)
    L, R, T, B = 70, 20, 40, 50  # margins
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, title, (L, 25), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    pts = {k: (np.asarray(x, float), np.asarray(y, float)) for k, (x, y) in curves.items()}
    pts = {k: (x[np.isfinite(y)], y[np.isfinite(y)]) for k, (x, y) in pts.items()}
    pts = {k: v for k, v in pts.items() if len(v[0])}
    cv2.rectangle(img, (L, T), (W - R, H - B), (0, 0, 0), 1)
    if not pts:
        cv2.putText(img, note or "no data", (L + 10, H // 2), font, 0.5, (0, 0, 200), 1, cv2.LINE_AA)
    else:
        xs, ys = np.concatenate([v[0] for v in pts.values()]), np.concatenate([v[1] for v in pts.values()])
        x0, x1 = float(xs.min()), float(xs.max()) if xs.max() > xs.min() else float(xs.min()) + 1.0
        pad = 0.05 * (ys.max() - ys.min()) if ys.max() > ys.min() else max(abs(float(ys.max())), 1.0) * 0.1
        y0, y1 = float(ys.min() - pad), float(ys.max() + pad)
        px = lambda x: (L + (np.asarray(x) - x0) / (x1 - x0) * (W - L - R)).round().astype(np.int32)  # noqa: E731
        py = lambda y: (H - B - (np.asarray(y) - y0) / (y1 - y0) * (H - T - B)).round().astype(np.int32)  # noqa: E731
        for v in _ticks(x0, x1):
            cv2.putText(img, f"{v:.0f}", (int(px(v)) - 10, H - B + 18), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        for v in _ticks(y0, y1):
            cv2.line(img, (L, int(py(v))), (W - R, int(py(v))), (225, 225, 225), 1)
            cv2.putText(img, f"{v:.3g}", (5, int(py(v)) + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, "video frame", (W // 2 - 40, H - 12), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        for i, (label, (x, y)) in enumerate(pts.items()):
            c = COLOURS[i % len(COLOURS)]
            p = np.stack([px(x), py(y)], axis=1)  # [N, 2]
            if len(p) > 1:
                cv2.polylines(img, [p.reshape(-1, 1, 2)], False, c, 2, cv2.LINE_AA)
            for q in p:
                cv2.circle(img, (int(q[0]), int(q[1])), 2, c, -1)
            cv2.putText(img, label, (W - R - 150, T + 18 + 18 * i), font, 0.45, c, 1, cv2.LINE_AA)
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        if not cv2.imwrite(str(tmp), img):
            raise OSError(f"could not write {path}")
    return path


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def write_report(
    out_dir: str | Path, summaries: list[ProtocolSummary], extra: dict[str, Any] | None = None
) -> dict[str, Path]:
    """report.md, report.csv, report.json and ``<metric>.png`` per metric under ``out_dir``; their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": write_csv(out / "report.csv", summaries)}
    md = "# WorldPlay evaluation\n\n" + markdown_table(summaries)
    md += "\nShort-term: generated frames vs the clip's own frames; long-term: return-leg frames vs the\n"
    md += "ground-truth frames of the same places. Rdist in radians; Tdist relative to the path extent.\n"
    for m in METRICS:
        curves = {s.protocol: s.curves[m] for s in summaries if m in s.curves}
        note = "; ".join(f"{s.protocol}: not computed: {s.notes[m]}" for s in summaries if m in s.notes)
        paths[m] = plot_curves(out / f"{m}.png", TITLES[m] + " over time", curves, note)
        md += f"\n![{m}]({m}.png)\n"
    with atomic_path(out / "report.md", suffix=".md") as tmp:
        Path(tmp).write_text(md)
    paths["md"] = out / "report.md"
    blob = {"summaries": [{"protocol": s.protocol, "clips": s.clips, "values": s.values, "notes": s.notes,
                           "curves": {m: {"frame": x, "value": y} for m, (x, y) in s.curves.items()}}
                          for s in summaries], **(extra or {})}  # fmt: skip
    with atomic_path(out / "report.json", suffix=".json") as tmp:
        Path(tmp).write_text(json.dumps(_jsonable(blob), indent=1))
    paths["json"] = out / "report.json"
    return paths
