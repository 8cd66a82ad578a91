"""Speed of clip curation: (1) analysis vs a plain full decode, (2) the pipeline with 2 workers vs 1.

(1) renders a few 10 s 1280x720 @ 30 fps H.264 walking clips once (into the cache dir), then times
a plain PyAV decode of every frame to rgb24 (FFmpeg's automatic threads) against ``analyse_span`` on
the whole clip with the pipeline's default analysis config (gray 320 px at 6 fps with chroma planes,
reference frames only, 3 keyframes at 640 px for the people detector; ``threads: 0``, so both sides
use every CPU this process may), alternating, ``--repeats`` times per clip; medians per clip, with the
process CPU time of each side (less sensitive than wall time to other load on a shared machine).
Target: analysis throughput >= 1.0x the decode's.
(2) runs ``curate_clips`` (probe, cuts, analysis, decisions, 1280x720 export) over the same kind of
720p sources with 1 then 2 workers, both inside one embedded 2-CPU Ray (so Ray's start-up is not
timed), after an untimed warm-up job, ``--pipeline-repeats`` times each in ABBA order; medians. Each worker
owns its declared CPU (one decode/OpenCV thread). Target: wall(2) / wall(1) <= 0.6. Each job has a fixed
part that workers do not shorten (~3-6 s per job on 2 CPUs before its first item: actor start-up, whose
imports of ray.data/pandas/pyarrow take ~2.5 CPU-s, and Ray Data's scheduling), so small jobs sit closer
to 1.0x than large ones; ``--pipeline-clips`` sets the job size.

    python benchmarks/curate_speed.py [--cache /tmp/wp_bench_cache] [--clips 3] [--pipeline-clips 8]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
from rich.console import Console
from rich.table import Table


def render_720p(cache: Path, n: int, seconds: float = 10.0, fps: int = 30) -> list[Path]:
    """n walking clips, rendered at 640x360 and upscaled to 1280x720 (cached by name)."""
    from wpdata.synth import intrinsics, make_world, render_frames, walking
    from wpdata.video import write_mp4

    out = []
    for k in range(n):
        path = cache / f"walk720_{seconds:g}s_{k}.mp4"
        if not path.exists():
            world = make_world(100 + k, ("street", "plaza", "room")[k % 3])
            c2w = walking(world, int(seconds * fps), fps, 100 + k)
            K = intrinsics(640, 360)
            frames = (cv2.resize(f, (1280, 720)) for f in render_frames(world, c2w, K, 640, 360))
            write_mp4(path, frames, fps, threads=1)
        out.append(path)
    return out


def plain_decode(path: Path) -> int:
    """Decode every frame to rgb24 at full size; returns the frame count."""
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for frame in c.decode(s):
            frame.to_ndarray(format="rgb24")
            n += 1
    return n


def _cpu_s() -> float:
    """User + system CPU seconds of this process so far (every thread)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(fn: Callable[..., object], *args: object, **kwargs: object) -> tuple[float, float]:
    """(wall s, process CPU s) of one call."""
    c0, t0 = _cpu_s(), time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0, _cpu_s() - c0


def bench_analysis(console: Console, clips: list[Path], repeats: int = 3) -> float:
    from pipelines.jobs.curate_config import load_config
    from wpdata.filters.analyse import analyse_span, make_detector
    from wpdata.video import probe

    config = load_config().analysis  # the pipeline's default analysis settings
    detector = make_detector(config)
    table = Table(title=f"(1) analysis vs plain decode, 1280x720 @ 30 fps, 10 s (median of {repeats} runs)")
    for col in (
        "clip",
        "frames",
        "decode s",
        "analyse s",
        "throughput ratio",
        "decode cpu s",
        "analyse cpu s",
    ):
        table.add_column(col, justify="right")
    tot_dec = tot_ana = cpu_dec = cpu_ana = 0.0
    for path in clips:
        n = probe(path).num_frames
        decs, anas, cdecs, canas = [], [], [], []
        for _ in range(repeats):  # alternating, so both sides see the same machine state
            t_dec, c_dec = _timed(plain_decode, path)
            t_ana, c_ana = _timed(analyse_span, path, 0, n, config, detector=detector)
            decs.append(t_dec)
            cdecs.append(c_dec)
            anas.append(t_ana)
            canas.append(c_ana)
        t_dec, t_ana = statistics.median(decs), statistics.median(anas)
        c_dec, c_ana = statistics.median(cdecs), statistics.median(canas)
        tot_dec += t_dec
        tot_ana += t_ana
        cpu_dec += c_dec
        cpu_ana += c_ana
        row = (f"{t_dec:.2f}", f"{t_ana:.2f}", f"{t_dec / t_ana:.2f}x", f"{c_dec:.2f}", f"{c_ana:.2f}")
        table.add_row(path.name, str(n), *row)
    ratio = tot_dec / tot_ana
    table.add_row(
        "all", "", f"{tot_dec:.2f}", f"{tot_ana:.2f}", f"{ratio:.2f}x", f"{cpu_dec:.2f}", f"{cpu_ana:.2f}"
    )
    console.print(table)
    console.print(f"analysis throughput / plain decode throughput = {ratio:.2f}x (target >= 1.0x)")
    console.print(
        f"CPU time: analysis {cpu_ana / len(clips):.2f} s, decode {cpu_dec / len(clips):.2f} s per clip"
    )
    return ratio


def bench_pipeline(console: Console, cache: Path, n_clips: int, repeats: int = 2) -> float:
    """Wall of ``curate_clips`` with 1 and 2 workers, ``repeats`` times each in ABBA order (1, 2, 2, 1, ...)
    after an untimed warm-up job on one source (Ray Data's first job starts its own helper actors);
    medians per worker count."""
    from pipelines.jobs.curate_clips import curate_clips
    from pipelines.runtime import ray_session

    sel = cache / f"pipeline_{n_clips}"
    sel.mkdir(exist_ok=True)
    clips = render_720p(cache, n_clips, seconds=6.0)
    for stray in set(sel.iterdir()) - {sel / c.name for c in clips}:  # the job is exactly these sources
        shutil.rmtree(stray) if stray.is_dir() else stray.unlink()
    for c in clips:
        if not (sel / c.name).exists():
            shutil.copy(c, sel / c.name)
    table = Table(
        title=f"(2) curate_clips on an embedded 2-CPU Ray, {n_clips} sources (1280x720 @ 30 fps, 6 s), "
        f"median of {repeats}"
    )
    for col in ("workers", "wall s", "runs s", "sources s", "clips s", "clips ok/dropped/failed"):
        table.add_column(col, justify="right")
    runs: dict[int, list[tuple[float, float, float, str]]] = {1: [], 2: []}
    order = [w for k in range(repeats) for w in ((1, 2) if k % 2 == 0 else (2, 1))]
    with ray_session(num_cpus=2):
        warm = Path(tempfile.mkdtemp(prefix="wpbench_warm_"))
        curate_clips([sorted(sel.glob("*.mp4"))[0]], warm, workers=1, resume=False, progress=False)
        shutil.rmtree(warm, ignore_errors=True)
        for workers in order:
            out = Path(tempfile.mkdtemp(prefix=f"wpbench{workers}_"))
            t0 = time.perf_counter()
            res = curate_clips([sel], out, workers=workers, resume=False, progress=False)
            wall = time.perf_counter() - t0
            st = res.clips.total.by_status
            counts = f"{st.get('ok', 0)}/{st.get('dropped', 0)}/{st.get('failed', 0)}"
            runs[workers].append((wall, res.sources.wall_s, res.clips.wall_s, counts))
            shutil.rmtree(out, ignore_errors=True)
    walls = {}
    for workers, rs in runs.items():
        walls[workers] = statistics.median(r[0] for r in rs)
        table.add_row(
            str(workers),
            f"{walls[workers]:.1f}",
            " ".join(f"{r[0]:.1f}" for r in rs),
            f"{statistics.median(r[1] for r in rs):.1f}",
            f"{statistics.median(r[2] for r in rs):.1f}",
            " ".join(sorted({r[3] for r in rs})),
        )
    ratio = walls[2] / walls[1]
    console.print(table)
    console.print(f"wall(2 workers) / wall(1 worker) = {ratio:.2f}x (target <= 0.6x)")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "wp_bench_cache")
    ap.add_argument("--clips", type=int, default=3, help="720p clips for the analysis benchmark")
    ap.add_argument("--pipeline-clips", type=int, default=8, help="720p sources for the pipeline benchmark")
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs per clip (analysis part)")
    ap.add_argument("--pipeline-repeats", type=int, default=2, help="runs per worker count (pipeline part)")
    ap.add_argument("--skip", choices=("analysis", "pipeline"), default=None)
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    console = Console(width=max(Console().width, 110))  # the analysis table is ~95 columns wide
    if args.skip != "analysis":
        bench_analysis(console, render_720p(args.cache, args.clips), args.repeats)
    if args.skip != "pipeline":
        bench_pipeline(console, args.cache, args.pipeline_clips, args.pipeline_repeats)


if __name__ == "__main__":
    main()
