"""Tune and report the motion / shake / static-camera / scene-cut scores on a labelled defects set.

Usage: python benchmarks/tune_motion.py /work/tune_defects [--cache /tmp/ownerA] [--extra 6]

Analysis frames are cached per clip (npz) so re-runs only recompute the scores. `--extra N` also
renders N look-around clips with fast turns (hard negatives for cuts and shake, not in the defects
set). Prints per-class score quantiles, the confusion numbers at the thresholds below, the EuRoC
static sequence (when present), and ms per analysed frame pair against a full decode.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from wpdata.filters.frames import AnalysisFrames, sample_frames
from wpdata.filters.motion import estimate_motion
from wpdata.filters.shake import motion_amount, shake_score
from wpdata.filters.shots import detect_cuts
from wpdata.video import decode_frames

SHAKE_MAX = 2.3  # shake_score above this -> "shake"
STATIC_MAX = 0.02  # motion_amount below this ...
STATIC_MIN_RELIABLE = 0.5  # ... with at least this fraction of reliable pairs -> "static_camera"
MOVING = ("clean", "watermark", "hud", "subtitles", "blurred", "too_dark", "scene_cut")
EUROC = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "euroc_v101_micro/mav0/cam0/data"


def _frames(path: Path, cache: Path, source_fps: float | None = None) -> AnalysisFrames:
    f = cache / (path.stem + ".npz")
    if f.exists():
        z = np.load(f)
        return AnalysisFrames(
            z["gray"], z["indices"], z["times"], float(z["src_fps"]), tuple(z["src_size"]), float(z["scale"])
        )
    a = sample_frames(path, source_fps=source_fps)
    np.savez(
        f,
        gray=a.gray,
        indices=a.indices,
        times=a.times,
        src_fps=a.src_fps,
        src_size=a.src_size,
        scale=a.scale,
    )
    return a


def _extra_clips(out: Path, n: int) -> list[tuple[Path, str]]:
    """Render n fast look-around clips (labelled "look_around"), cached."""
    from wpdata.synth import intrinsics, look_around, make_world, render_frames
    from wpdata.video import write_mp4

    clips = []
    for k in range(n):
        p = out / f"look_around_{k:04d}.mp4"
        if not p.exists():
            world = make_world(1000 + k, ("street", "room", "plaza")[k % 3])
            c2w = look_around(world, 60, 15.0, 77 + k, max_dps=120.0)
            frames = np.stack(list(render_frames(world, c2w, intrinsics(320, 180, 70.0), 320, 180)))
            write_mp4(p, frames, 15.0)
        clips.append((p, "look_around"))
    return clips


def _scores(a: AnalysisFrames) -> dict:
    t0 = time.perf_counter()
    track = estimate_motion(a.gray)
    t1 = time.perf_counter()
    cuts = detect_cuts(a, track)
    return {
        "shake": shake_score(track, a.times),
        "motion": motion_amount(track, a.times, a.gray.shape[2]),
        "reliable": float(track.reliable.mean()) if len(track) else 0.0,
        "cuts": cuts,
        "ms_pair": (t1 - t0) * 1e3 / max(len(track), 1),
        "ms_cuts": (time.perf_counter() - t1) * 1e3,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ownerA"))
    ap.add_argument("--extra", type=int, default=6)
    args = ap.parse_args()
    (args.cache / "frames").mkdir(parents=True, exist_ok=True)
    labels = pq.read_table(args.root / "labels.parquet").to_pylist()
    items = [(args.root / r["path"], r["label"], json.loads(r["params"] or "{}")) for r in labels]
    items += [(p, lab, {}) for p, lab in _extra_clips(args.cache, args.extra)]
    rows = []
    for path, label, params in items:
        s = _scores(_frames(path, args.cache / "frames"))
        rows.append({"name": path.stem, "label": label, "params": params, **s})
    _report(rows)
    if EUROC.exists():
        e = _scores(sample_frames(EUROC, source_fps=20.0))
        print(
            f"euroc static: motion={e['motion']:.4f} shake={e['shake']:.3f} cuts={e['cuts']} "
            f"-> static={e['motion'] < STATIC_MAX}"
        )
    _timing(items[:9])
    _timing([(_hd_clip(args.cache), "hd", {})], skip_nonref=True)


def _report(rows: list[dict]) -> None:
    labels = sorted({r["label"] for r in rows})
    print(
        f"{'class':14s} {'n':>3s} {'shake q10/50/90':>20s} {'motion q10/50/90':>22s} {'reliable':>8s} {'cut%':>5s}"
    )
    for lab in labels:
        rs = [r for r in rows if r["label"] == lab]
        sh = np.quantile([r["shake"] for r in rs], [0.1, 0.5, 0.9])
        mo = np.quantile([r["motion"] for r in rs], [0.1, 0.5, 0.9])
        rel = np.mean([r["reliable"] for r in rs])
        cut = np.mean([bool(r["cuts"]) for r in rs]) * 100
        print(
            f"{lab:14s} {len(rs):3d} {sh[0]:6.2f}/{sh[1]:6.2f}/{sh[2]:6.2f} "
            f"{mo[0]:7.4f}/{mo[1]:7.4f}/{mo[2]:7.4f} {rel:8.2f} {cut:5.0f}"
        )
    moving = [r for r in rows if r["label"] in MOVING + ("look_around",)]
    shake = [r for r in rows if r["label"] == "shake"]
    tp = sum(r["shake"] > SHAKE_MAX for r in shake)
    fp = [r["name"] for r in moving if r["shake"] > SHAKE_MAX]
    print(f"\nshake > {SHAKE_MAX}: recall {tp}/{len(shake)}, precision {tp}/{tp + len(fp)}, false: {fp}")
    static = [r for r in rows if r["label"] == "static_camera"]
    is_static = [r["motion"] < STATIC_MAX and r["reliable"] >= STATIC_MIN_RELIABLE for r in rows]
    st = sum(s for s, r in zip(is_static, rows, strict=True) if r["label"] == "static_camera")
    mv = [r["name"] for s, r in zip(is_static, rows, strict=True) if s and r["label"] != "static_camera"]
    print(
        f"static motion < {STATIC_MAX} and reliable >= {STATIC_MIN_RELIABLE}: recall {st}/{len(static)}, "
        f"moving flagged static: {len(mv)}/{len(rows) - len(static)} {mv}"
    )
    cuts = [r for r in rows if r["label"] == "scene_cut"]
    hit = 0
    for r in cuts:
        hit += bool(r["cuts"])
        if not r["cuts"] or min(abs(c - r["params"].get("cut_frame", -99)) for c in r["cuts"]) > 3:
            print(f"  cut miss/off: {r['name']} true {r['params'].get('cut_frame')} got {r['cuts']}")
    false = [(r["name"], r["cuts"]) for r in rows if r["label"] != "scene_cut" and r["cuts"]]
    others = len(rows) - len(cuts)
    print(f"cuts: detected in {hit}/{len(cuts)} scene_cut clips; in {len(false)}/{others} others: {false}")
    print(
        f"motion ms/pair median {np.median([r['ms_pair'] for r in rows]):.1f}, "
        f"cuts ms/clip median {np.median([r['ms_cuts'] for r in rows]):.1f}"
    )


def _hd_clip(out: Path) -> Path:
    """A 1280x720 30 fps, 6 s walking clip (rendered at 320x180 and upscaled), cached."""
    import cv2

    from wpdata.synth import intrinsics, make_world, render_frames, walking
    from wpdata.video import write_mp4

    p = out / "hd_walk_720p30.mp4"
    if not p.exists():
        world = make_world(21, "street")
        c2w = walking(world, 180, 30.0, seed=5)
        small = render_frames(world, c2w, intrinsics(320, 180, 70.0), 320, 180)
        write_mp4(p, (cv2.resize(f, (1280, 720), interpolation=cv2.INTER_CUBIC) for f in small), 30.0)
    return p


def _timing(items: list, skip_nonref: bool = False) -> None:
    """Full RGB decode vs sample + motion + cuts, per clip."""
    dec, ana, pairs = 0.0, 0.0, 0
    for path, _, _ in items:
        t0 = time.perf_counter()
        decode_frames(path)
        t1 = time.perf_counter()
        a = sample_frames(path, skip_nonref=skip_nonref)
        track = estimate_motion(a.gray)
        detect_cuts(a, track)
        t2 = time.perf_counter()
        dec, ana, pairs = dec + t1 - t0, ana + t2 - t1, pairs + len(track)
    print(
        f"timing on {len(items)} clips (skip_nonref={skip_nonref}): full RGB decode {dec * 1e3:.0f} ms, sample+motion+cuts "
        f"{ana * 1e3:.0f} ms ({ana * 1e3 / max(pairs, 1):.1f} ms per analysed pair), ratio {ana / dec:.2f}"
    )


if __name__ == "__main__":
    main()
