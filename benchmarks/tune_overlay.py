"""Tune / measure the static-overlay detector on a labelled defects set (wpdata.synth.make_defects_set).

    python benchmarks/tune_overlay.py /work/tune_defects --cache /tmp/ovl/cache_tune
    python benchmarks/tune_overlay.py /work/val_defects --pipeline      # analyse_span + decide, no cache

Each clip goes through the pipeline's analysis path: `analyse_span(path, 0, n, AnalysisConfig(crowd=False))`
(with --pipeline), or the same decode (reference frames only, as the pipeline; --all-frames decodes
every frame) + `estimate_motion` + `detect_overlays` with the decoded frames and motion cached per clip (default; fast re-runs while tuning the overlay pass). The decision is
`decide` with the default `CurationThresholds` (``--evidence`` overrides min_overlay_evidence): a clip
is flagged with every ``overlay:<kind>`` reason it gets. Prints a confusion table (true label x
droppable kind flagged), recall / precision per overlay class (watermark = watermark|logo), the
clips of other classes flagged with any droppable kind, box overlap with the truth, and the overlay
pass's cost per clip next to the cost of decoding the clip's every frame.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from wpdata.filters.analyse import AnalysisConfig, analyse_span
from wpdata.filters.decide import OVERLAY_DROP_KINDS, CurationThresholds, decide
from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import MotionTrack, estimate_motion
from wpdata.filters.overlay import detect_overlays
from wpdata.video import iter_frames, probe

TARGETS = {"watermark": ("watermark", "logo"), "hud": ("hud",), "subtitles": ("subtitles",)}


def _hud_boxes(parts: list[str], w: int, h: int) -> list[tuple[float, float, float, float]]:
    """Pixel boxes of the HUD parts as wpdata.synth.overlays.hud draws them."""
    s = w / 320
    boxes = {
        "top_bar": (0, 0, w, 14 * s),
        "bottom_bar": (0, h - 18 * s, w, h),
        "minimap": (w - 54 * s, 6 * s, w - 6 * s, 54 * s),
        "health": (8 * s, 20 * s, 88 * s, 28 * s),
        "score": (8 * s, h - 38 * s, 60 * s, h - 24 * s),
    }
    return [boxes[p] for p in parts]


def _true_boxes(label: str, params: dict, w: int, h: int) -> list[tuple[float, float, float, float]]:
    if label == "watermark":
        x, y, bw, bh = params["box"]
        return [(x, y, x + bw, y + bh)]
    if label == "hud":
        return _hud_boxes(params["parts"], w, h)
    if label == "subtitles":
        return [(0.15 * w, 0.7 * h, 0.85 * w, h)]
    return []


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _frames_and_track(
    path: Path, cache: Path | None, fps: float, nonref: bool
) -> tuple[np.ndarray, MotionTrack]:
    f = None if cache is None else cache / f"{path.stem}.fps{fps:g}{'.nonref' if nonref else ''}.npz"
    if f is not None and f.exists():
        d = np.load(f)
        return d["gray"], MotionTrack(**{k: d[k] for k in MotionTrack.__dataclass_fields__})
    gray = sample_frames(path, analysis_fps=fps, width=320, skip_nonref=nonref).gray  # [N, 180, 320] uint8
    track = estimate_motion(gray)
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.savez(f, gray=gray, **{k: getattr(track, k) for k in MotionTrack.__dataclass_fields__})
    return gray, track


def _analyse(path: Path, args: argparse.Namespace) -> tuple[dict, float, tuple[int, int]]:
    """(overlay columns of the clip's row, ms of the overlay pass or nan, (h, w))."""
    if args.pipeline:
        n = probe(path).num_frames
        out = analyse_span(path, 0, n, AnalysisConfig(crowd=False, analysis_fps=args.fps))
        return out, float("nan"), (180, 320)
    gray, track = _frames_and_track(path, args.cache, args.fps, not args.all_frames)
    t0 = time.perf_counter()
    res = detect_overlays(gray, track)
    ms = 1000 * (time.perf_counter() - t0)
    row = {
        "score_overlay_area": res.area_fraction,
        "score_overlay_evidence": res.evidence,
        "overlay_boxes": res.boxes,
        "overlay_kinds": res.kinds,
        "evidences": res.evidences,
    }
    return row, ms, gray.shape[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--cache", type=Path, default=None, help="folder caching analysis frames + motion")
    ap.add_argument("--pipeline", action="store_true", help="run analyse_span itself (no cache, slower)")
    ap.add_argument("--fps", type=float, default=AnalysisConfig().analysis_fps, help="analysis_fps")
    ap.add_argument(
        "--all-frames", action="store_true", help="decode every frame (the pipeline skips non-reference ones)"
    )
    ap.add_argument("--evidence", type=float, default=None, help="min_overlay_evidence (default: decide's)")
    ap.add_argument("--decode-sample", type=int, default=6, help="clips whose full decode is timed")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    th = CurationThresholds()
    if args.evidence is not None:
        th.min_overlay_evidence = args.evidence
    rows = pq.read_table(args.root / "labels.parquet").to_pylist()
    labels = sorted({r["label"] for r in rows})
    cols = (*OVERLAY_DROP_KINDS, "letterbox", "none")
    table = {lab: dict.fromkeys(cols, 0) for lab in labels}
    counts = dict.fromkeys(labels, 0)
    hits, box_ok = dict.fromkeys(TARGETS, 0), dict.fromkeys(TARGETS, 0)
    flagged: dict[str, list[str]] = {k: [] for k in TARGETS}
    false_pos: list[str] = []
    ms, dec_ms = [], []
    t_all = time.perf_counter()
    for r in rows:
        path = args.root / r["path"]
        row, t_ms, (h, w) = _analyse(path, args)
        ms.append(t_ms)
        lab, params = r["label"], json.loads(r["params"])
        counts[lab] += 1
        _, reasons = decide({**row, "status": "ok"}, th)
        kinds = {x.split(":", 1)[1] for x in reasons if x.startswith("overlay:")}
        for k in kinds | ({"letterbox"} & set(row["overlay_kinds"])):
            table[lab][k] += 1
        if not kinds:
            table[lab]["none"] += 1
        for target, want in TARGETS.items():
            if kinds & set(want):
                flagged[target].append(lab)
        if lab not in TARGETS and kinds:
            false_pos.append(f"{path.stem}:{'+'.join(sorted(kinds))}")
        if lab in TARGETS and kinds & set(TARGETS[lab]):
            hits[lab] += 1
            truth = _true_boxes(lab, params, w, h)
            found = [
                (b[0] * w, b[1] * h, b[2] * w, b[3] * h)
                for b, k in zip(row["overlay_boxes"], row["overlay_kinds"], strict=True)
                if k in TARGETS[lab]
            ]
            box_ok[lab] += any(_overlaps(a, b) for a in found for b in truth)
        ok = (lab in TARGETS and kinds & set(TARGETS[lab]) and kinds <= set(TARGETS[lab])) or (
            lab not in TARGETS and not kinds
        )
        if args.verbose or not ok:
            ev = row.get("evidences") or []
            regs = ", ".join(
                f"{k}:{e:.2f}@" + ",".join(f"{v:.2f}" for v in b)
                for k, e, b in zip(row["overlay_kinds"], ev, row["overlay_boxes"], strict=False)
            ) or ",".join(row["overlay_kinds"])
            print(
                f"{'  ' if ok else '! '}{path.stem:16s} {r['world_kind']:6s} {r['trajectory']:12s} "
                f"ev={row['score_overlay_evidence']:.2f} area={row['score_overlay_area']:.3f} [{regs}]"
            )
        if len(dec_ms) < args.decode_sample and lab == "clean":
            t0 = time.perf_counter()
            sum(1 for _ in iter_frames(path))
            dec_ms.append(1000 * (time.perf_counter() - t0))
    print(
        f"\nconfusion (rows: true label, columns: droppable kind flagged by decide, min_overlay_evidence="
        f"{th.min_overlay_evidence})"
    )
    print(f"{'label':14s}{'n':>4s}" + "".join(f"{c:>11s}" for c in cols))
    for lab in labels:
        print(f"{lab:14s}{counts[lab]:4d}" + "".join(f"{table[lab][c]:11d}" for c in cols))
    print("\nclass       recall  precision  box-overlap")
    for k in TARGETS:
        n, tp = counts.get(k, 0), hits[k]
        prec = sum(1 for lab in flagged[k] if lab == k) / max(len(flagged[k]), 1)
        print(f"{k:10s} {tp / max(n, 1):7.3f} {prec:10.3f} {box_ok[k] / max(tp, 1):12.3f}")
    print(f"\nnon-overlay clips flagged with a droppable kind: {len(false_pos)} {false_pos}")
    if not args.pipeline:
        print(f"overlay pass: {np.mean(ms):.1f} ms/clip (median {np.median(ms):.1f}, max {np.max(ms):.1f})")
    print(f"wall: {time.perf_counter() - t_all:.1f} s for {len(rows)} clips")
    if dec_ms:
        print(f"full RGB decode of a clip: {np.mean(dec_ms):.1f} ms/clip (mean of {len(dec_ms)} clean clips)")


if __name__ == "__main__":
    main()
