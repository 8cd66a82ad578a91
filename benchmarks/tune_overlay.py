"""Tune / measure the static-overlay detector on a labelled defects set (wpdata.synth.make_defects_set).

    python benchmarks/tune_overlay.py /work/tune_defects --cache /tmp/ownerB/cache --evidence 0.5

Prints a confusion table (true label x overlay kind flagged), recall / precision per overlay class,
whether the found box overlaps the true one, and the overlay pass's cost per clip next to the cost of
decoding the clip's every frame. A clip is flagged with a kind when its evidence >= --evidence and a
region of that kind is reported (what `decide` does with `min_overlay_evidence`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import MotionTrack, estimate_motion
from wpdata.filters.overlay import detect_overlays
from wpdata.video import iter_frames

KINDS = ("watermark", "logo", "hud", "subtitles", "letterbox")
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


def _frames_and_track(path: Path, cache: Path | None) -> tuple[np.ndarray, MotionTrack]:
    f = None if cache is None else cache / (path.stem + ".track.npz")
    if f is not None and f.exists():
        d = np.load(f)
        gray = d["gray"]
        return gray, MotionTrack(**{k: d[k] for k in MotionTrack.__dataclass_fields__})
    gray = sample_frames(path, analysis_fps=6.0, width=320).gray  # [N, 180, 320] uint8
    track = estimate_motion(gray)
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.savez(f, gray=gray, **{k: getattr(track, k) for k in MotionTrack.__dataclass_fields__})
    return gray, track


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--cache", type=Path, default=None, help="folder caching analysis frames + motion")
    ap.add_argument(
        "--evidence", type=float, default=0.5, help="clip evidence threshold (min_overlay_evidence)"
    )
    ap.add_argument("--decode-sample", type=int, default=6, help="clips whose full decode is timed")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    rows = pq.read_table(args.root / "labels.parquet").to_pylist()
    labels = sorted({r["label"] for r in rows})
    table = {lab: dict.fromkeys((*KINDS, "none"), 0) for lab in labels}
    counts = dict.fromkeys(labels, 0)
    hits = {k: 0 for k in TARGETS}
    box_ok = {k: 0 for k in TARGETS}
    flagged = {k: [] for k in TARGETS}
    ms, dec_ms = [], []
    for r in rows:
        path = args.root / r["path"]
        gray, track = _frames_and_track(path, args.cache)
        t0 = time.perf_counter()
        res = detect_overlays(gray, track)
        ms.append(1000 * (time.perf_counter() - t0))
        lab, params = r["label"], json.loads(r["params"])
        counts[lab] += 1
        on = res.evidence >= args.evidence
        kinds = {k for k in res.kinds if k == "letterbox" or on}
        for k in kinds:
            table[lab][k] += 1
        if not kinds:
            table[lab]["none"] += 1
        for target, want in TARGETS.items():
            if kinds & set(want):
                flagged[target].append(lab)
        if lab in TARGETS and kinds & set(TARGETS[lab]):
            hits[lab] += 1
            h, w = gray.shape[1:]
            truth = _true_boxes(lab, params, w, h)
            found = [
                (b[0] * w, b[1] * h, b[2] * w, b[3] * h)
                for b, k in zip(res.boxes, res.kinds, strict=True)
                if k in TARGETS[lab]
            ]
            box_ok[lab] += any(_overlaps(a, b) for a in found for b in truth)
        if args.verbose:
            regs = ", ".join(f"{k}:{e:.2f}" for k, e in zip(res.kinds, res.evidences, strict=True))
            print(f"{path.stem:18s} ev={res.evidence:.2f} area={res.area_fraction:.3f} [{regs}]")
        if len(dec_ms) < args.decode_sample and lab == "clean":
            t0 = time.perf_counter()
            sum(1 for _ in iter_frames(path))
            dec_ms.append(1000 * (time.perf_counter() - t0))
    cols = (*KINDS, "none")
    print(f"\nconfusion (rows: true label, columns: kind flagged at evidence >= {args.evidence})")
    print(f"{'label':14s}{'n':>4s}" + "".join(f"{c:>11s}" for c in cols))
    for lab in labels:
        print(f"{lab:14s}{counts[lab]:4d}" + "".join(f"{table[lab][c]:11d}" for c in cols))
    print("\nclass       recall  precision  box-overlap")
    for k in TARGETS:
        n, tp = counts.get(k, 0), hits[k]
        prec = sum(1 for lab in flagged[k] if lab == k) / max(len(flagged[k]), 1)
        print(f"{k:10s} {tp / max(n, 1):7.3f} {prec:10.3f} {box_ok[k] / max(tp, 1):12.3f}")
    print(
        f"\noverlay pass: {np.mean(ms):.1f} ms/clip (median {np.median(ms):.1f}, max {np.max(ms):.1f}) "
        f"on {gray.shape[0]} frames of {gray.shape[2]}x{gray.shape[1]}"
    )
    if dec_ms:
        print(f"full RGB decode of a clip: {np.mean(dec_ms):.1f} ms/clip (mean of {len(dec_ms)} clean clips)")


if __name__ == "__main__":
    main()
