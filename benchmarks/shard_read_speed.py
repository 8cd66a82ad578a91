"""Speed of the trainer's shard reader (wpmodel.data), side by side with the floor it should approach.

(1) latent shards (latent.safetensors [16, 9, 18, 32] float16 + caption embedding, c2w, K, actions,
json per sample; no mp4) through ``make_loader(latents=True)`` vs the raw sequential read of the same
tar files (1 MiB reads), and vs iterating the tar members with ``tarfile`` (bytes only, no parsing).
Target: reader >= 0.9x the raw read.
(2) mp4 shards (33 frames at 256x144 H.264 per sample) through ``make_loader`` (decode, window, poses,
float [-1, 1], collate) vs a plain PyAV decode (thread_type AUTO, rgb24 ndarrays) of the same clips
from their mp4 files. Target: reader >= 0.8x the plain decode.

Everything runs in this process (num_workers=0) on files just written, so they are in the page cache:
the raw read is then a memory copy, the hardest floor for (1). Each timing is the best of --repeats.

    python benchmarks/shard_read_speed.py [--out /tmp/R/shard_bench] [--clips 64] [--latent-samples 512]
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import safetensors.numpy
from rich.console import Console
from rich.table import Table
from scipy.ndimage import gaussian_filter

from wpdata.video import write_mp4
from wpmodel.data import make_loader

W, H, T = 256, 144, 33  # mp4 clips
LATENT_SHAPE = (16, 9, 18, 32)  # [C, T_lat, h, w] for T = 33 frames
PER_SHARD = 16


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _common_members(key: str, rng: np.random.Generator) -> dict[str, bytes]:
    c2w = np.tile(np.eye(4, dtype=np.float32), (T, 1, 1))
    c2w[:, 2, 3] = np.arange(T) * 0.05
    K = np.array([[200.0, 0, W / 2], [0, 200.0, H / 2], [0, 0, 1]], np.float32)
    meta = {"item_id": key, "caption": "a walk", "fps": 30.0, "width": W, "height": H, "num_frames": T}
    meta |= {"num_latents": 9, "source": {}, "scores": {}, "provenance": {}}
    return {
        "c2w.npy": _npy(c2w),
        "K.npy": _npy(K),
        "action.npy": _npy(rng.integers(0, 81, 9).astype(np.int16)),
        "json": json.dumps(meta).encode(),
    }


def _write_shards(folder: Path, samples: list[tuple[str, dict[str, bytes]]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(0, len(samples), PER_SHARD):
        path = folder / f"shard-{i // PER_SHARD:04d}.tar"
        with tarfile.open(path, "w") as tar:
            for key, members in samples[i : i + PER_SHARD]:
                for suffix, data in members.items():
                    ti = tarfile.TarInfo(f"{key}.{suffix}")
                    ti.size = len(data)
                    tar.addfile(ti, io.BytesIO(data))
        paths.append(path)
    return paths


def make_clips(folder: Path, n: int) -> list[Path]:
    """n clips of a smooth random texture panned along random directions (encodes like real motion)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tex = gaussian_filter(rng.random((720, 1024, 3)), sigma=(3, 3, 0))
    tex = ((tex - tex.min()) / np.ptp(tex) * 255).astype(np.uint8)  # [720, 1024, 3]
    clips = []
    for c in range(n):
        path = folder / f"clip{c:03d}.mp4"
        if not path.exists():
            x0, y0 = rng.integers(0, 150), rng.integers(0, 100)
            vx, vy = rng.uniform(-6, 6, 2)
            ys, xs = (int(y0 + 250 + vy * t) for t in range(T)), (int(x0 + 400 + vx * t) for t in range(T))
            frames = [tex[y : y + H, x : x + W] for y, x in zip(ys, xs, strict=True)]
            write_mp4(path, np.stack(frames), fps=30, threads=1)
        clips.append(path)
    return clips


def make_mp4_shards(folder: Path, clips: list[Path]) -> list[Path]:
    rng = np.random.default_rng(1)
    samples = []
    for c in clips:
        samples.append((c.stem, {"mp4": c.read_bytes()} | _common_members(c.stem, rng)))
    return _write_shards(folder, samples)


def make_latent_shards(folder: Path, n: int) -> list[Path]:
    rng = np.random.default_rng(2)
    samples = []
    for i in range(n):
        tensors = {
            "latent": rng.standard_normal(LATENT_SHAPE).astype(np.float16),
            "caption_embedding": rng.standard_normal(384).astype(np.float32),
        }
        members = _common_members(f"lat{i:05d}", rng) | {
            "latent.safetensors": safetensors.numpy.save(tensors)
        }
        samples.append((f"lat{i:05d}", members))
    return _write_shards(folder, samples)


def best_of(repeats: int, fn: Callable[[], int]) -> tuple[float, int]:
    """(best seconds, items) over repeats, after one warm-up call."""
    fn()
    times, n = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t0)
    return min(times), n


def raw_read(paths: list[Path]) -> int:
    n = 0
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while chunk := f.read(1 << 20):
                n += len(chunk)
    return n


def tar_members(paths: list[Path]) -> int:
    n = 0
    for p in paths:
        with tarfile.open(p, "r|") as tar:
            for ti in tar:
                n += len(tar.extractfile(ti).read())
    return n


def plain_decode(clips: list[Path]) -> int:
    n = 0
    for c in clips:
        with av.open(str(c)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        n += len(frames)
    return n // T


def through_reader(paths: list[Path], latents: bool, batch_size: int, video_dtype: str = "float32") -> int:
    loader = make_loader(
        paths, batch_size, window_latents=9, latents=latents, rank=0, world_size=1, video_dtype=video_dtype
    )
    n = sum(len(b["keys"]) for b in loader)
    if loader.stats.num_skipped:
        raise RuntimeError(f"reader skipped samples: {loader.stats.as_dict()}")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/R/shard_bench"))
    ap.add_argument("--clips", type=int, default=64)
    ap.add_argument("--latent-samples", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    console = Console()
    clips = make_clips(args.out / "clips", args.clips)
    mp4_shards = make_mp4_shards(args.out / "mp4_shards", clips)
    lat_shards = make_latent_shards(args.out / "latent_shards", args.latent_samples)
    mb_lat = sum(p.stat().st_size for p in lat_shards) / 1e6
    mb_mp4 = sum(p.stat().st_size for p in mp4_shards) / 1e6
    r = args.repeats
    rows = {
        "latent: raw read of the tar bytes": best_of(r, lambda: raw_read(lat_shards))[0],
        "latent: tarfile member bytes": best_of(r, lambda: tar_members(lat_shards))[0],
        "latent: reader (latents=True)": best_of(
            r, lambda: through_reader(lat_shards, True, args.batch_size)
        )[0],
        "mp4: plain PyAV decode of the clips": best_of(r, lambda: plain_decode(clips))[0],
        "mp4: reader (decode + float video)": best_of(
            r, lambda: through_reader(mp4_shards, False, args.batch_size)
        )[0],
        "mp4: reader (uint8 video)": best_of(
            r, lambda: through_reader(mp4_shards, False, args.batch_size, "uint8")
        )[0],
    }
    counts = [args.latent_samples] * 3 + [args.clips] * 3
    sizes = [mb_lat] * 3 + [mb_mp4] * 3
    table = Table(title=f"shard read speed ({args.out})")
    for col in ("path", "samples", "MB", "seconds", "samples/s", "MB/s"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for (name, sec), n, mb in zip(rows.items(), counts, sizes, strict=True):
        table.add_row(name, str(n), f"{mb:.1f}", f"{sec:.3f}", f"{n / sec:.0f}", f"{mb / sec:.0f}")
    console.print(table)
    t = list(rows.values())
    console.print(f"latent reader / raw read:      {t[0] / t[2]:.2f}x  (target >= 0.9x)")
    console.print(f"latent reader / tarfile read:  {t[1] / t[2]:.2f}x")
    console.print(
        f"mp4 reader / plain PyAV decode: {t[3] / t[4]:.2f}x float32 video, {t[3] / t[5]:.2f}x uint8 video"
        "  (target >= 0.8x)"
    )


if __name__ == "__main__":
    main()
