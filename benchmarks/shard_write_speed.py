"""Speed of the shard writer (wpdata.shards), side by side with the floors it cannot beat.

Writes ``--clips`` panning-texture clips (``--frames`` frames at 640x360, H.264 crf 18) with poses and
actions, then, in this process (no Ray), the best of ``--repeats``:
(1) whole-clip samples (mp4 copied as is) through ``build_sample`` + ``ShardWriter`` vs a raw copy of
    the same mp4 bytes into one file (the floor);
(2) windowed samples (``--window-latents`` latents, frame-exact cut: decode + libx264 one thread) vs a
    plain PyAV decode + ``write_mp4`` of the same frame spans (the floor of any frame-exact cut).

    python benchmarks/shard_write_speed.py [--out /tmp/S/shard_write] [--clips 8] [--frames 65]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.ndimage import gaussian_filter

from manifests.atomic import atomic_save_npz
from manifests.layout import num_latents
from wpdata.shards import (
    EncodeSettings,
    ShardWriter,
    build_sample,
    load_item_arrays,
    sample_meta,
    window_starts,
)
from wpdata.video import decode_frames, write_mp4

W, H, FPS = 640, 360, 30.0


def make_clips(out: Path, n: int, T: int) -> list[dict]:
    """Panning smoothed-noise clips with identity-ish poses and zero actions (cached by name)."""
    rng = np.random.default_rng(0)
    items = []
    for i in range(n):
        mp4 = out / f"clip{i:03d}_{T}.mp4"
        poses, acts = out / f"clip{i:03d}_{T}.poses.npz", out / f"clip{i:03d}_{T}.actions.npz"
        if not mp4.exists():
            tex = gaussian_filter(rng.random((H + 64, W + 4 * T, 3)), (3, 3, 0))
            tex = ((tex - tex.min()) / np.ptp(tex) * 255).astype(np.uint8)  # [H', W', 3]
            frames = (tex[32 : 32 + H, 4 * t : 4 * t + W] for t in range(T))
            write_mp4(mp4, frames, FPS, threads=1)
            c2w = np.tile(np.eye(4, dtype=np.float32), (T, 1, 1))  # [T, 4, 4]
            c2w[:, 0, 3] = np.arange(T) * 0.02
            K = np.tile(np.array([[500, 0, W / 2], [0, 500, H / 2], [0, 0, 1]], np.float32), (T, 1, 1))
            atomic_save_npz(poses, c2w=c2w, K=K, registered=np.ones(T, bool))
            atomic_save_npz(acts, latent_labels=np.zeros(num_latents(T), np.int16))
        row = {"item_id": f"clip{i:03d}", "fps": FPS, "width": W, "height": H, "num_frames": T}
        items.append({"row": row, "mp4": mp4, "poses": poses, "actions": acts})
    return items


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/S/shard_write"))
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--frames", type=int, default=65)
    ap.add_argument("--window-latents", type=int, default=9)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    items = make_clips(args.out, args.clips, args.frames)
    total_bytes = sum(it["mp4"].stat().st_size for it in items)
    length = 4 * (args.window_latents - 1) + 1
    windows = [(it, s) for it in items for s in window_starts(args.frames, args.window_latents)]
    enc = EncodeSettings()

    def whole() -> None:
        with ShardWriter(args.out / "whole.tar") as w:
            for it in items:
                arrays = load_item_arrays(it["poses"], it["actions"])
                meta = sample_meta(it["row"], it["row"]["item_id"], 0, args.frames)
                w.write(it["row"]["item_id"], build_sample(it["mp4"], arrays, meta))

    def raw_copy() -> None:
        with open(args.out / "raw.bin", "wb") as f:
            for it in items:
                with open(it["mp4"], "rb") as src:
                    shutil.copyfileobj(src, f)

    def windowed() -> None:
        with ShardWriter(args.out / "windows.tar") as w:
            for it, s in windows:
                arrays = load_item_arrays(it["poses"], it["actions"])
                key = f"{it['row']['item_id']}_w{s:06d}"
                meta = sample_meta(it["row"], key, s, length, windowed=True)
                w.write(key, build_sample(it["mp4"], arrays, meta, (s, length), enc))

    def decode_encode() -> None:
        for it, s in windows:
            frames = decode_frames(it["mp4"], s, s + length, threads=1)
            write_mp4(args.out / "floor.mp4", frames, FPS, crf=enc.crf, preset=enc.preset, threads=1)

    t_whole, t_raw = best(whole, args.repeats), best(raw_copy, args.repeats)
    t_win, t_floor = best(windowed, args.repeats), best(decode_encode, args.repeats)
    table = Table(title=f"shard writing: {len(items)} clips of {args.frames} frames at {W}x{H}")
    for col in ("path", "samples", "wall s", "samples/s", "MB/s of clip bytes", "vs floor"):
        table.add_column(col)
    mb = total_bytes / 1e6
    table.add_row(
        "whole clips -> shard",
        str(len(items)),
        f"{t_whole:.3f}",
        f"{len(items) / t_whole:.1f}",
        f"{mb / t_whole:.0f}",
        f"{t_raw / t_whole:.2f}x",
    )
    table.add_row("raw copy (floor)", str(len(items)), f"{t_raw:.3f}", "", f"{mb / t_raw:.0f}", "1x")
    table.add_row(
        f"windows of {args.window_latents} latents -> shard",
        str(len(windows)),
        f"{t_win:.3f}",
        f"{len(windows) / t_win:.2f}",
        "",
        f"{t_floor / t_win:.2f}x",
    )
    table.add_row(
        "decode + encode (floor)",
        str(len(windows)),
        f"{t_floor:.3f}",
        f"{len(windows) / t_floor:.2f}",
        "",
        "1x",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
