"""Speed of spatial-memory retrieval (``wpmodel.memory.retrieve_memory_chunks``) on this CPU.

A 10k-latent history (40k video frames) on three synthetic camera paths built with numpy, then the
retrieval for the next chunk (4 query latents, release settings: 50k points, radius 8, FOV 60 x 35,
max distance 8) timed over several queries along the path:
- ``walk``: a meandering walk, 0.2 m per latent (Sekai walking speed), 2 km: few cameras near the query;
- ``loop``: laps of a 60 m circuit, revisited ~33 times: many near cameras at the same places;
- ``room``: smooth wandering inside a 10 x 10 m room: every camera is near (the worst case).
Reported: candidate chunks, cameras left after the exact culls, ms per query (median, max), and the
target (<= 20 ms).

    python benchmarks/memory_retrieval.py [--latents 10000] [--queries 8] [--method fov|worldmem]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def yaw_path(xz: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Level cameras at ground positions xz [N, 2] with headings yaw [N] (OpenCV c2w) -> [N, 4, 4]."""
    c, s = np.cos(yaw), np.sin(yaw)
    c2w = np.tile(np.eye(4), (len(yaw), 1, 1))
    c2w[:, 0, 0], c2w[:, 0, 2], c2w[:, 2, 0], c2w[:, 2, 2] = c, s, -s, c
    c2w[:, 0, 3], c2w[:, 2, 3] = xz[:, 0], xz[:, 1]
    return c2w


def make_path(kind: str, n: int, seed: int = 0) -> np.ndarray:
    """c2w [n, 4, 4] per latent of one of the benchmark paths."""
    rng = np.random.default_rng(seed)
    if kind == "walk":
        yaw = np.cumsum(rng.normal(0, 0.05, n))
        xz = np.cumsum(0.2 * np.stack([np.sin(yaw), np.cos(yaw)], 1), axis=0)
        return yaw_path(xz, yaw)
    if kind == "loop":
        ang = np.arange(n) * 0.2 / (60 / (2 * np.pi))  # 0.2 m per latent on a circle of 60 m
        r = 60 / (2 * np.pi)
        xz = r * np.stack([np.cos(ang), np.sin(ang)], 1) + rng.normal(0, 0.3, (n, 2))
        return yaw_path(xz, -ang + rng.normal(0, 0.05, n))  # tangent heading
    if kind == "room":
        yaw = np.cumsum(rng.normal(0, 0.15, n))
        xz = np.zeros((n, 2))
        for i in range(1, n):  # bounce inside [-5, 5]^2
            step = xz[i - 1] + 0.1 * np.array([np.sin(yaw[i]), np.cos(yaw[i])])
            if np.abs(step).max() > 5:
                yaw[i:] += np.pi
                step = xz[i - 1]
            xz[i] = step
        return yaw_path(xz, yaw)
    raise ValueError(f"unknown path {kind!r}")


def bench(kind: str, n: int, queries: int, method: str) -> dict:
    """Time retrieval for the chunk after each of ``queries`` history lengths near ``n``."""
    from wpmodel.memory.fov import _candidates, default_points, query_points, relative_poses
    from wpmodel.memory.retrieval import candidate_starts, retrieve_memory_chunks

    c2w = make_path(kind, n + 4 * queries + 4)
    default_points()  # the shared sample set is built once per process
    times, kept = [], []
    for i in range(queries):
        h = n - 4 * (queries - 1) + 4 * i
        t0 = time.perf_counter()
        retrieve_memory_chunks(c2w[:h], c2w[h : h + 4], method=method)
        times.append(time.perf_counter() - t0)
        starts = candidate_starts(h)
        cams = np.stack([starts, starts + 2], 1).reshape(-1)
        p_in = query_points(default_points(), (60.0, 35.0))
        kept.append(len(_candidates(relative_poses(c2w[h : h + 1], c2w[cams])[0], p_in, (60.0, 35.0), 8.0)))
    ms = 1000 * np.array(times)
    return {"path": kind, "candidates": len(starts), "cams_kept": int(np.median(kept)),
            "median_ms": float(np.median(ms)), "max_ms": float(ms.max())}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latents", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=8)
    ap.add_argument("--method", default="fov", choices=["fov", "worldmem"])
    ap.add_argument("--paths", default="walk,loop,room")
    args = ap.parse_args()
    print(f"history {args.latents} latents, {args.queries} queries, method {args.method}, target <= 20 ms")
    print(f"{'path':6} {'cand. chunks':>12} {'cams kept':>10} {'median ms':>10} {'max ms':>8}")
    for kind in args.paths.split(","):
        r = bench(kind, args.latents, args.queries, args.method)
        print(
            f"{r['path']:6} {r['candidates']:12d} {r['cams_kept']:10d} {r['median_ms']:10.1f} {r['max_ms']:8.1f}"
        )


if __name__ == "__main__":
    main()
