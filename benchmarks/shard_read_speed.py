"""Speed of the trainer's shard reader (wpmodel.data), side by side with the floor it should approach.

(1) latent shards (latent.safetensors float16 + caption embedding, c2w, K, actions, json per sample;
no mp4; written by the project's writers, pax tar; latents time-major [T_lat, C, h, w] as the encode
stage stores them, or with ``--layout CTHW`` channel-major as shards written before) through ``make_loader(latents=True)`` (one window of
the whole sample, batches of --batch-size) vs the raw sequential read of the same tar files
(``readinto``, unbuffered) three ways: into a reused 4 MiB buffer (the hardest floor: its destination
stays in the CPU cache, which no batch of real size does); into a reused batch-sized buffer (the same
bytes landing in memory the size of a batch: the floor for a loader); and into a fresh batch-sized
buffer per read (what a loader that allocates every batch must at least do: page faults zero-fill it).
The reader runs its latent reads READ_AHEAD batches ahead in a thread (the default) and, for comparison,
with ``read_ahead=0`` (each batch's reads in the calling thread as it is handed out).
With ``--step-mm N`` (default 8) a training-step stand-in (the batch's latents summed as float32, then N
512x512 matmuls in one torch thread) also runs on each batch, fed by the reader with and without
read-ahead and from batches held in memory: the difference is the time the reader adds to training.
Two latent sizes: the small [16, 9, 18, 32]
(166 KB per sample, per-sample overhead dominates) and a realistic 480p 24-latent window
[16, 24, 60, 104] (~4.8 MB). Target: reader >= 0.9x the raw read.
(2) mp4 shards (33 frames at 256x144 H.264 per sample) through ``make_loader`` (decode, window, poses,
collate; uint8 video, the default, and float32) vs a plain PyAV decode (thread_type AUTO, rgb24
ndarrays) of the same clips from their mp4 files. Target: reader >= 0.8x the plain decode.

Shards hold as many samples as ``wp shard`` puts in one (``PlanConfig``: 1000 samples or 1 GiB), or
``--per-shard``. Everything runs in this process (num_workers=0) on files just written, so both sides read from the page
cache. Each reader configuration builds its loader once and reads it epoch after epoch (``set_epoch``),
as a trainer does, so its batch buffers are reused as in training. Each pair (floor, reader) is run --repeats times alternating, after one warm-up each; the table
gives the best and the median time, and the ratios floor time / reader time of both.

    python benchmarks/shard_read_speed.py [--out /tmp/RS/shard_bench] [--clips 48] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import safetensors.numpy
import torch
from rich.console import Console
from rich.table import Table
from scipy.ndimage import gaussian_filter

from wpdata.shards import CHANNEL_MAJOR, TIME_MAJOR, PlanConfig, latent_safetensors, write_shard
from wpdata.video import write_mp4
from wpmodel.data import make_loader
from wpmodel.data.loader import READ_AHEAD

W, H, T = 256, 144, 33  # mp4 clips
LATENTS = {  # name -> ([C, T_lat, h, w], samples)
    "small [16, 9, 18, 32]": ((16, 9, 18, 32), 512),
    "480p [16, 24, 60, 104]": ((16, 24, 60, 104), 64),
}
PER_SHARD: int | None = None  # --per-shard; None: as many as `wp shard` puts in one (PlanConfig caps)
BLOCK = 4 << 20


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _common_members(key: str, frames: int, rng: np.random.Generator) -> dict[str, bytes]:
    lat = (frames - 1) // 4 + 1
    c2w = np.tile(np.eye(4, dtype=np.float32), (frames, 1, 1))
    c2w[:, 2, 3] = np.arange(frames) * 0.05
    K = np.array([[200.0, 0, W / 2], [0, 200.0, H / 2], [0, 0, 1]], np.float32)
    meta = {"item_id": key, "caption": "a walk", "fps": 30.0, "width": W, "height": H, "num_frames": frames}
    meta |= {"num_latents": lat, "source": {}, "scores": {}, "provenance": {}}
    return {
        "c2w.npy": _npy(c2w),
        "K.npy": _npy(K),
        "action.npy": _npy(rng.integers(0, 81, lat).astype(np.int16)),
        "json": json.dumps(meta).encode(),
    }


def _write_shards(
    folder: Path, samples: list[tuple[str, dict[str, bytes]]], index: bool = False
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    plan, size = PlanConfig(), max(1, sum(len(v) for v in samples[0][1].values()))
    per = PER_SHARD or max(1, min(plan.max_samples, plan.max_bytes // size))
    chunks = [samples[i : i + per] for i in range(0, len(samples), per)]
    return [write_shard(folder / f"shard-{i:04d}.tar", c, index=index).path for i, c in enumerate(chunks)]


def make_clips(folder: Path, n: int) -> list[Path]:
    """n clips of a smooth random texture panned along random directions (encodes like real motion)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tex = gaussian_filter(rng.random((720, 1024, 3)), sigma=(3, 3, 0))
    tex = ((tex - tex.min()) / np.ptp(tex) * 255).astype(np.uint8)  # [720, 1024, 3]
    clips = []
    for c in range(n):
        path = folder / f"clip{c:03d}.mp4"
        x0, y0 = rng.integers(0, 150), rng.integers(0, 100)
        vx, vy = rng.uniform(-6, 6, 2)
        if not path.exists():
            ys, xs = (int(y0 + 250 + vy * t) for t in range(T)), (int(x0 + 400 + vx * t) for t in range(T))
            frames = [tex[y : y + H, x : x + W] for y, x in zip(ys, xs, strict=True)]
            write_mp4(path, np.stack(frames), fps=30, threads=1)
        clips.append(path)
    return clips


def make_mp4_shards(folder: Path, clips: list[Path]) -> list[Path]:
    rng = np.random.default_rng(1)
    samples = [(c.stem, {"mp4": c.read_bytes()} | _common_members(c.stem, T, rng)) for c in clips]
    return _write_shards(folder, samples)


def make_latent_shards(folder: Path, shape: tuple[int, ...], n: int) -> list[Path]:
    rng = np.random.default_rng(2)
    samples = []
    for i in range(n):
        latent = rng.standard_normal(shape).astype(np.float16)  # [C, T_lat, h, w]
        caption = rng.standard_normal(384).astype(np.float32)  # [D]
        if LAYOUT == TIME_MAJOR:
            data = latent_safetensors(latent, caption)  # stored [T_lat, C, h, w]
        else:
            data = safetensors.numpy.save({"latent": latent, "caption_embedding": caption})
        key = f"lat{i:05d}"
        members = _common_members(key, 4 * (shape[1] - 1) + 1, rng)
        samples.append((key, members | {"latent.safetensors": data}))
    return _write_shards(folder, samples, index=INDEX)


LAYOUT = TIME_MAJOR  # --layout CTHW: channel-major latents (no layout key), as shards written before
INDEX = True  # --no-index: latent shards without their sidecar index (the reader's per-sample path)
COLD = False  # --cold: drop the page cache before every timed run (reads come from storage)


def drop_page_cache() -> None:
    """Empty Linux's page cache (root only), so the next read comes from storage."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        raise SystemExit(f"--cold needs root on Linux (writing /proc/sys/vm/drop_caches: {exc})") from exc


def alternate(repeats: int, fns: list[Callable[[], int]]) -> list[list[float]]:
    """Seconds of each fn over ``repeats`` rounds (fns run in turn each round), after one warm-up each;
    with ``COLD`` the page cache is dropped before each timed run."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            if COLD:
                drop_page_cache()
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return times


def raw_read(paths: list[Path], block: int = BLOCK, fresh: bool = False) -> int:
    """Bytes read sequentially in ``block``-byte reads into one reused buffer, or (``fresh``) into a
    newly allocated one per read, as a loader handing out new batches must."""
    buf = np.empty(block, np.uint8)
    n = 0
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while k := f.readinto(np.empty(block, np.uint8) if fresh else buf):
                n += k
    return n


def plain_decode(clips: list[Path]) -> int:
    n = 0
    for c in clips:
        with av.open(str(c)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            n += len([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
    return n // T


WORKERS = 0  # --workers: DataLoader worker processes of the reader (a trainer uses some)


_LOADERS: dict[tuple, Any] = {}  # one loader per configuration, reused epoch after epoch as a trainer does
_EPOCHS: dict[tuple, int] = {}


def next_epoch(key: tuple, make: Callable[[], Any]) -> Any:
    """The loader of configuration ``key`` (built by ``make`` on first use, then kept as a trainer keeps
    it), set to its next epoch."""
    if key not in _LOADERS:
        _LOADERS[key] = make()
    _EPOCHS[key] = _EPOCHS.get(key, -1) + 1
    _LOADERS[key].set_epoch(_EPOCHS[key])
    return _LOADERS[key]


def _ahead(read_ahead: int | None) -> dict[str, int]:
    """make_loader's read_ahead option; None: the reader's default."""
    return {} if read_ahead is None else {"read_ahead": read_ahead}


def through_reader(
    paths: list[Path],
    latents: bool,
    batch: int,
    window: int,
    video_dtype: str = "uint8",
    read_ahead: int | None = None,
) -> int:
    """Samples of one epoch through the reader (the next epoch of this configuration's loader);
    ``read_ahead`` None: the reader's default."""
    loader = next_epoch(
        (tuple(paths), latents, batch, window, video_dtype, read_ahead),
        lambda: make_loader(
            paths,
            batch,
            window_latents=window,
            latents=latents,
            rank=0,
            world_size=1,
            video_dtype=video_dtype,
            num_workers=WORKERS,
            **_ahead(read_ahead),
        ),
    )
    n = sum(len(b["keys"]) for b in loader)
    if loader.stats.num_skipped:
        raise RuntimeError(f"reader skipped samples: {loader.stats.as_dict()}")
    return n


_W = np.random.default_rng(3).standard_normal((512, 512)).astype(np.float32)


def train_step(batch: dict[str, Any], matmuls: int) -> int:
    """A stand-in for a training step on one batch: its latents as float32 summed (reads every byte),
    then ``matmuls`` 512x512 matmuls (torch releases the GIL in them, as in a real step's kernels)."""
    torch.set_num_threads(1)
    w = torch.from_numpy(_W)
    float(batch["latents"].float().sum())
    for _ in range(matmuls):
        w = torch.mm(w, torch.from_numpy(_W)) * 1e-3
    return len(batch["keys"])


def through_batches(paths: list[Path], batch: int, window: int) -> list[dict[str, Any]]:
    """One epoch of latent batches, kept (copies, so that the reader's buffers are not held)."""
    loader = make_loader(paths, batch, window_latents=window, latents=True, rank=0, world_size=1)
    return [{k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in b.items()} for b in loader]


def train_epoch(paths: list[Path], batch: int, window: int, read_ahead: int | None, matmuls: int) -> int:
    """One epoch of the training-step stand-in fed by the reader (its loader kept across epochs)."""
    loader = next_epoch(
        ("train", tuple(paths), batch, window, read_ahead),
        lambda: make_loader(
            paths, batch, window_latents=window, latents=True, rank=0, world_size=1, **_ahead(read_ahead)
        ),
    )
    return sum(train_step(b, matmuls) for b in loader)


def main() -> None:
    global COLD, WORKERS, INDEX, LAYOUT, PER_SHARD
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/RS/shard_bench"))
    ap.add_argument("--clips", type=int, default=48)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cold", action="store_true", help="drop the page cache before every timed run (root)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers of the reader")
    ap.add_argument("--no-index", action="store_true", help="write latent shards without a sidecar index")
    ap.add_argument(
        "--per-shard", type=int, default=None, help="samples per shard (default: the writer's caps)"
    )
    ap.add_argument("--layout", choices=(TIME_MAJOR, CHANNEL_MAJOR), default=TIME_MAJOR, help="latent order")
    ap.add_argument(
        "--step-mm",
        type=int,
        default=8,
        help="latents: also time a training-step stand-in (this many 512x512 matmuls, one torch thread, "
        "per batch) fed by the reader with and without read-ahead; 0: skip",
    )
    ap.add_argument("--only", choices=("all", "latent", "mp4"), default="all")
    args = ap.parse_args()
    PER_SHARD = args.per_shard
    COLD, WORKERS, INDEX, LAYOUT = args.cold, args.workers, not args.no_index, args.layout
    console, r, bs = Console(), args.repeats, args.batch_size
    table = Table(title=f"shard read speed ({args.out}); times over {r} alternating runs")
    for col in ("path", "samples", "MB", "best s", "median s", "MB/s (best)"):
        table.add_column(col, justify="left" if col == "path" else "right")
    ratios = []
    extra: dict[str, tuple] = {}  # label -> times of the training-step stand-in (--step-mm)

    def add(name: str, n: int, mb: float, ts: list[float]) -> None:
        table.add_row(
            name, str(n), f"{mb:.1f}", f"{min(ts):.3f}", f"{statistics.median(ts):.3f}", f"{mb / min(ts):.0f}"
        )

    for label, (shape, n) in LATENTS.items() if args.only in ("all", "latent") else []:
        shards = make_latent_shards(args.out / f"latent_{'x'.join(map(str, shape))}", shape, n)
        mb = sum(p.stat().st_size for p in shards) / 1e6
        batch_bytes = int(mb * 1e6 / n * bs)
        raw, batch_raw, fresh, rd, rd0 = alternate(
            r,
            [
                lambda s=shards: raw_read(s),
                lambda s=shards, b=batch_bytes: raw_read(s, b),
                lambda s=shards, b=batch_bytes: raw_read(s, b, fresh=True),
                lambda s=shards, L=shape[1]: through_reader(s, True, bs, L),
                lambda s=shards, L=shape[1]: through_reader(s, True, bs, L, read_ahead=0),
            ],
        )
        add(f"latent {label}: raw read, 4 MiB reused buffer", n, mb, raw)
        add(f"latent {label}: raw read, reused batch-sized buffer", n, mb, batch_raw)
        add(f"latent {label}: raw read, fresh batch-sized buffers", n, mb, fresh)
        add(f"latent {label}: reader (latents=True; reads {READ_AHEAD} batches ahead in a thread)", n, mb, rd)
        add(f"latent {label}: reader, read_ahead=0 (reads in the calling thread)", n, mb, rd0)
        ratios.append((f"latent {label}: reader / raw read (reused 4 MiB buffer)", raw, rd, 0.9))
        ratios.append((f"latent {label}: reader / raw read (reused batch-sized buffer)", batch_raw, rd, 0.9))
        ratios.append((f"latent {label}: reader / raw read (fresh batch buffers)", fresh, rd, 0.9))
        ratios.append(
            (f"latent {label}: reader read_ahead=0 / raw read (reused 4 MiB buffer)", raw, rd0, 0.9)
        )
        if args.step_mm:
            held = through_batches(shards, bs, shape[1])
            alone, with_ahead, in_turn = alternate(
                r,
                [
                    lambda h=held: sum(train_step(b, args.step_mm) for b in h),
                    lambda s=shards, L=shape[1]: train_epoch(s, bs, L, None, args.step_mm),
                    lambda s=shards, L=shape[1]: train_epoch(s, bs, L, 0, args.step_mm),
                ],
            )
            add(f"latent {label}: training-step stand-in on batches held in memory", n, mb, alone)
            add(f"latent {label}: the same steps fed by the reader (read ahead)", n, mb, with_ahead)
            add(f"latent {label}: the same steps fed by the reader, read_ahead=0", n, mb, in_turn)
            extra[label] = (alone, with_ahead, in_turn)
    for label, (alone, with_ahead, in_turn) in extra.items():
        a = statistics.median(alone)
        for name, ts in (("read ahead", with_ahead), ("read_ahead=0", in_turn)):
            console.print(
                f"latent {label}: time the reader adds to the steps ({name}): "
                f"{(statistics.median(ts) - a) * 1e3:.1f} ms of {a * 1e3:.1f} ms (medians)"
            )
    if args.only == "latent":
        console.print(table)
        _print_ratios(console, ratios)
        return
    clips = make_clips(args.out / "clips", args.clips)
    mp4_shards = make_mp4_shards(args.out / "mp4_shards", clips)
    mb = sum(p.stat().st_size for p in mp4_shards) / 1e6
    plain, u8, f32 = alternate(
        r,
        [
            lambda: plain_decode(clips),
            lambda: through_reader(mp4_shards, False, bs, 9, "uint8"),
            lambda: through_reader(mp4_shards, False, bs, 9, "float32"),
        ],
    )
    add("mp4: plain PyAV decode of the clips", args.clips, mb, plain)
    add("mp4: reader (uint8 video, the default)", args.clips, mb, u8)
    add("mp4: reader (float32 video in [-1, 1])", args.clips, mb, f32)
    ratios += [
        ("mp4: reader uint8 / plain decode", plain, u8, 0.8),
        ("mp4: reader float32 / plain decode", plain, f32, 0.8),
    ]
    console.print(table)
    _print_ratios(console, ratios)


def _print_ratios(console: Console, ratios: list) -> None:
    for name, floor, reader, target in ratios:
        best, med = min(floor) / min(reader), statistics.median(floor) / statistics.median(reader)
        console.print(f"{name}: {best:.2f}x best, {med:.2f}x median  (target >= {target}x)")


if __name__ == "__main__":
    main()
