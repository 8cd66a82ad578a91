"""Accuracy of `wp curate clips` on a labelled synthetic defects set and on the real EuRoC static camera.

Runs the real pipeline (embedded Ray, the default thresholds of pipelines/configs/curate_clips.yaml)
over a defects set made by wpdata.synth.make_defects_set with a seed that the thresholds were NOT
tuned on (tuning used seed 101), then scores the manifest against the ground-truth labels:

- a source "shows" a class when one of its clips carries that drop reason (watermark: overlay:watermark
  or overlay:logo; hud: overlay:hud; subtitles: overlay:subtitles; shake; static_camera; too_dark;
  blurred) or, for scene_cut, when shot detection split it into more than one shot;
- per class: recall = labelled clips showing it / labelled clips; precision = labelled clips showing it /
  all clips showing it;
- clean kept = clean sources all of whose clips are ok.

Usage: python benchmarks/curate_accuracy.py [--n-per-class 12] [--seed 2027] [--data DIR] [--out DIR]
Prints the table; exits 1 when a target (>= 0.95 everywhere; EuRoC dropped as static) is missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from manifests.io import read_manifest
from pipelines.jobs.curate_clips import curate_clips
from pipelines.jobs.curate_config import load_config
from pipelines.jobs.curate_shots import read_shots
from pipelines.runtime import ray_session

REASON_OF_CLASS = {
    "watermark": ("overlay:watermark", "overlay:logo"),
    "hud": ("overlay:hud",),
    "subtitles": ("overlay:subtitles",),
    "shake": ("shake",),
    "static_camera": ("static_camera",),
    "too_dark": ("too_dark",),
    "blurred": ("blurred",),
}
CLASSES = (*REASON_OF_CLASS, "scene_cut")
EUROC = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "realdata"
    / "euroc_v101_micro"
    / "mav0"
    / "cam0"
    / "data"
)
TARGET = 0.95


def _data(args: argparse.Namespace) -> Path:
    from wpdata.synth import make_defects_set

    data = Path(args.data or f"/tmp/wp_curate_accuracy/defects_s{args.seed}_n{args.n_per_class}")
    if not (data / "labels.parquet").exists():
        t0 = time.perf_counter()
        make_defects_set(data, args.n_per_class, seed=args.seed)
        print(f"made {data} in {time.perf_counter() - t0:.0f} s")
    return data


def _config(width: int, height: int, crowd: bool, extra: dict | None = None):
    # exported size = source size: the benchmark measures decisions, not upscaling
    over = {"export": {"target": f"{width}x{height}"}, "analysis": {"crowd": crowd}}
    for section, values in (extra or {}).items():
        over[section] = {**over.get(section, {}), **values}
    return load_config(overrides=over)


def _shown(out: Path) -> dict[str, set[str]]:
    """source path name -> classes the pipeline's manifests show for it."""
    sources = {r["source_id"]: r for r in read_manifest(out / "manifests" / "sources.parquet").to_pylist()}
    clips = read_manifest(out / "manifests" / "clips.parquet").to_pylist()
    shown: dict[str, set[str]] = {Path(s["path"]).name: set() for s in sources.values()}
    for sid, s in sources.items():
        shots = read_shots(out, sid)
        if shots and len(shots["cuts"]) > 0:
            shown[Path(s["path"]).name].add("scene_cut")
        if s["status"] != "ok":
            shown[Path(s["path"]).name].add(f"source:{s['status']}")
    for c in clips:
        name = Path(sources[c["source_id"]]["path"]).name
        for cls, reasons in REASON_OF_CLASS.items():
            if set(c["drop_reasons"] or []) & set(reasons):
                shown[name].add(cls)
        if c["status"] != "ok":
            shown[name].add("not_kept")
    return shown


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-per-class", type=int, default=12)
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--data", default=None, help="an existing defects set (labels.parquet inside)")
    ap.add_argument("--out", default="/tmp/wp_curate_accuracy/out")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-crowd", action="store_true", help="skip the HOG people detector")
    ap.add_argument(
        "--config-json", default="{}", help='config overrides, e.g. {"analysis": {"skip_nonref": true}}'
    )
    args = ap.parse_args()
    data = _data(args)
    labels = pq.read_table(data / "labels.parquet").to_pylist()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    euroc_out = out.with_name(out.name + "_euroc")
    shutil.rmtree(euroc_out, ignore_errors=True)
    t0 = time.perf_counter()
    with ray_session():
        curate_clips(
            [data / "clips"],
            out,
            config=_config(320, 180, not args.no_crowd, json.loads(args.config_json)),
            workers=args.workers,
            progress=False,
        )
        wall = time.perf_counter() - t0
        euroc = None
        if EUROC.is_dir():
            cfg = _config(752, 480, not args.no_crowd, json.loads(args.config_json))
            cfg.probe.image_fps = 20.0
            curate_clips([EUROC], euroc_out, config=cfg, workers=1, progress=False)
            rows = read_manifest(euroc_out / "manifests" / "clips.parquet").to_pylist()
            euroc = [(r["status"], r["drop_reasons"], r["score_motion"]) for r in rows]
    shown = _shown(out)
    by_label: dict[str, list[set[str]]] = defaultdict(list)
    for r in labels:
        by_label[r["label"]].append(shown.get(Path(r["path"]).name, {"missing"}))

    ok = True
    print(f"\n{len(labels)} labelled clips ({data}), pipeline wall {wall:.0f} s, {args.workers} workers")
    print(f"{'class':<15}{'n':>4}{'recall':>9}{'precision':>11}{'false +':>9}")
    for cls in CLASSES:
        tp = sum(cls in s for s in by_label[cls])
        fp = sum(cls in s for lab, ss in by_label.items() if lab != cls for s in ss)
        n = len(by_label[cls])
        recall, precision = tp / max(n, 1), tp / max(tp + fp, 1)
        ok &= recall >= TARGET and precision >= TARGET
        print(f"{cls:<15}{n:>4}{recall:>9.3f}{precision:>11.3f}{fp:>9}")
    clean = by_label["clean"]
    kept = sum("not_kept" not in s and not any(x.startswith("source:") for x in s) for s in clean)
    ok &= kept / max(len(clean), 1) >= TARGET
    print(f"{'clean kept':<15}{len(clean):>4}{kept / max(len(clean), 1):>9.3f}")
    bad = [s for lab, ss in by_label.items() if lab != "clean" for s in ss]
    removed = sum("not_kept" in s or "scene_cut" in s or any(x.startswith("source:") for x in s) for s in bad)
    print(
        f"{'defect removed':<15}{len(bad):>4}{removed / max(len(bad), 1):>9.3f}  (dropped for any reason, or split at a cut)"
    )
    print("\nper-label detail (what the manifest shows for each missed or confused clip):")
    for lab, ss in sorted(by_label.items()):
        for r, s in zip([r for r in labels if r["label"] == lab], ss, strict=True):
            wrong = (lab != "clean" and lab not in s) or (s - {lab, "not_kept"} - {"source:dropped"})
            if wrong or (lab == "clean" and s):
                print(f"  {Path(r['path']).name:<28} label={lab:<14} shown={sorted(s)}")
    if euroc is None:
        print("\nEuRoC: ../shared/realdata/euroc_v101_micro absent, not measured")
    else:
        static = any(st == "dropped" and "static_camera" in (rs or []) for st, rs, _ in euroc)
        ok &= static
        print(
            f"\nEuRoC V1_01 cam0 (95 real frames, 20 fps, camera standing still): {json.dumps(euroc)} -> static={static}"
        )
    print("\nall targets met" if ok else "\nTARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
