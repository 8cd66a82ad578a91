"""Scene-cut recall / false cuts of detect_cuts on labelled defects sets, with per-stage diagnosis.

Usage: python benchmarks/tune_cuts.py /work/tune_defects [/work/other_set ...] [--cache /tmp/cutsA] [-v]

Frames are sampled as the curate_shots job does (6 fps analysis, 320 px, every reference frame) and
cached with their motion track per clip. A scene_cut clip counts as found when a cut lies within one
analysis step of the labelled cut frame; any cut in another clip is a false cut. `-v` prints, per
missed cut, which stage lost it (no candidate at the true pair, or the verification rejected it).
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from wpdata.filters import shots
from wpdata.filters.cut_verify import PairVerifier
from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import estimate_motion

EUROC = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "euroc_v101_micro/mav0/cam0/data"


def _load(path: Path, cache: Path):
    f = cache / (path.parent.parent.name + "_" + path.stem + ".pkl")
    if f.exists():
        return pickle.loads(f.read_bytes())
    a = sample_frames(path, 0, None, analysis_fps=6.0, width=320, skip_nonref=False)
    item = (a, estimate_motion(a.gray))
    f.write_bytes(pickle.dumps(item))
    return item


def _true_pair(a, cut_frame: int) -> int:
    """Analysis index k of the first sampled frame at or after the cut (pair k-1 spans it)."""
    return int(np.searchsorted(a.indices, cut_frame))


def _diagnose(a, track, k: int) -> str:
    """Which stage saw the cut pair (k-1, k): candidates near it, fit quality, verifier verdicts."""
    content = [c for c in shots.content_cuts(a) if abs(c - k) <= 1]
    fit = [c for c in shots.fit_failure_cuts(track) if abs(c - k) <= 1]
    v = PairVerifier(a.gray, track.A)
    wider = [(i, j) for i, j in ((k - 2, k), (k - 1, k + 1)) if i >= 0 and j < len(a)]
    verdicts = [f"{i}-{j}:{v.verdict(i, j, corroborated=j - i > 1)}" for i, j in [(k - 1, k), *wider]]
    return f"content={content} fit={fit} q={shots.fit_quality(track)[k - 1]:.2f} {' '.join(verdicts)}"


def evaluate(root: Path, cache: Path, verbose: bool) -> tuple[int, int, int, int, list[float]]:
    rows = pq.read_table(root / "labels.parquet").to_pylist()
    hit = n_cut = false = n_other = 0
    ms = []
    for r in rows:
        path = root / r["path"]
        a, track = _load(path, cache)
        t0 = time.perf_counter()
        cuts = shots.detect_cuts(a, track)
        ms.append((time.perf_counter() - t0) * 1e3)
        step = float(np.median(np.diff(a.indices)))
        if r["label"] == "scene_cut":
            n_cut += 1
            c = json.loads(r["params"])["cut_frame"]
            ok = any(abs(x - c) <= step for x in cuts)
            hit += ok
            if not ok or verbose:
                k = _true_pair(a, c)
                tag = "found" if ok else "MISS"
                desc = (
                    f"{r['world_kind']} {r['trajectory']} -> {json.loads(r['params'])['second_world_kind']}"
                )
                print(f"  {tag} {path.stem} ({desc}) cut {c} k={k} got {cuts}  {_diagnose(a, track, k)}")
        else:
            n_other += 1
            if cuts:
                false += 1
                print(f"  FALSE {path.stem} ({r['label']}, {r['trajectory']}) cuts {cuts}")
    return hit, n_cut, false, n_other, ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("roots", type=Path, nargs="+")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cutsA"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    for root in args.roots:
        hit, n_cut, false, n_other, ms = evaluate(root, args.cache, args.verbose)
        print(
            f"{root}: cut found in {hit}/{n_cut} scene_cut clips, false cuts in {false}/{n_other} others; "
            f"detect_cuts ms/clip median {np.median(ms):.1f} max {np.max(ms):.1f}"
        )
    if EUROC.exists():
        a = sample_frames(EUROC, source_fps=20.0)
        print(f"euroc still camera: cuts {shots.detect_cuts(a, estimate_motion(a.gray))}")


if __name__ == "__main__":
    main()
