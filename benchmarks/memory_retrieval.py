"""Speed of spatial-memory retrieval (``wpmodel.memory.retrieve_memory_chunks``) on this CPU.

A 10k-latent history (40k video frames) on three synthetic camera paths built with numpy, then the
retrieval for the next chunk (4 query latents, release settings: 50k points, radius 8, FOV 60 x 35,
max distance 8) timed over several queries along the path:
- ``walk``: a meandering walk, 0.2 m per latent (Sekai walking speed), 2 km: few cameras near the query;
- ``loop``: laps of a 60 m circuit, revisited ~33 times: many near cameras at the same places;
- ``room``: smooth wandering inside a 10 x 10 m room: every camera is near (the worst case).
Each path is timed two ways, side by side: the exact release method (stateless, ``method="fov"``) and
the indexed one (``MemoryIndex``: the first history added in bulk, then per query the chunk generated
since the last query is added and retrieval runs on the index). Reported: candidate chunks, cameras
left after the exact method's culls, ms per query (median, max) of each method, the index's one-off
add cost (ms per latent in bulk, ms per 4-latent chunk incrementally), how often both methods
retrieve the same best chunk and the same set, and the regret: how much higher the exact release
score (mean over the 2 picks, lower is better) of the indexed picks is than that of the exact picks
(max over the compared queries; 0 when they agree). Target: <= 20 ms per query.

    python benchmarks/memory_retrieval.py [--latents 10000] [--queries 8] [--exact-queries 3]
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


def time_exact(c2w: np.ndarray, hs: list[int], method: str) -> tuple[list[float], list[list[int]], list]:
    """Per-query seconds, results and (starts, scores) of the stateless exact method."""
    from wpmodel.memory.retrieval import chunk_scores, retrieve_memory_chunks

    times, got, scored = [], [], []
    for h in hs:
        t0 = time.perf_counter()
        if method == "fov":  # what retrieve_memory_chunks(method="fov") does, keeping the scores
            starts, scores = chunk_scores(c2w[:h], c2w[h : h + 4])
            got.append([int(x) for x in starts[np.argsort(scores, kind="stable")[:2]]])
            scored.append((starts, scores))
        else:
            got.append(retrieve_memory_chunks(c2w[:h], c2w[h : h + 4], method=method))
        times.append(time.perf_counter() - t0)
    return times, got, scored


def regret(scored: tuple[np.ndarray, np.ndarray], exact: list[int], indexed: list[int]) -> float:
    """How much worse (exact release score, mean over the picks) the indexed picks are than the exact ones."""
    starts, scores = scored
    pick = {int(s): float(v) for s, v in zip(starts, scores, strict=True)}
    return float(np.mean([pick[s] for s in indexed]) - np.mean([pick[s] for s in exact]))


def time_indexed(c2w: np.ndarray, hs: list[int]) -> tuple:
    """Bulk add of the first history (s per latent), then per query: add the chunk since the last
    query, retrieve. Returns (bulk s/latent, add s per chunk, wall s per query, CPU s per query, results)."""
    from wpmodel.memory.index import MemoryIndex
    from wpmodel.memory.retrieval import retrieve_memory_chunks

    index = MemoryIndex()
    t0 = time.perf_counter()
    index.add(c2w[: hs[0]])
    bulk = (time.perf_counter() - t0) / hs[0]
    adds, times, cpu, got = [], [], [], []
    for h in hs:
        t0 = time.perf_counter()
        index.add(c2w[len(index) : h])  # the chunk generated since the last query (none for the first)
        adds.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        got.append(retrieve_memory_chunks(c2w[:h], c2w[h : h + 4], index=index))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return bulk, adds[1:], times, cpu, got


def bench(kind: str, n: int, queries: int, exact_queries: int, method: str) -> dict:
    """Exact vs indexed retrieval for the chunk after each of ``queries`` history lengths near ``n``."""
    from manifests.fov import _candidates, default_points, query_points, relative_poses
    from wpmodel.memory.retrieval import candidate_starts

    c2w = make_path(kind, n + 4 * queries + 4)
    hs = [n - 4 * (queries - 1) + 4 * i for i in range(queries)]
    default_points()  # the shared sample set is built once per process
    starts = candidate_starts(hs[-1])
    cams = np.stack([starts, starts + 2], 1).reshape(-1)
    p_in = query_points(default_points(), (60.0, 35.0))
    kept = len(_candidates(relative_poses(c2w[hs[-1] : hs[-1] + 1], c2w[cams])[0], p_in, (60.0, 35.0), 8.0))
    ex_t, ex_got, scored = (
        time_exact(c2w, hs[-exact_queries:], method) if exact_queries else ([np.nan], [], [])
    )
    bulk, adds, ix_t, ix_cpu, ix_got = time_indexed(c2w, hs)
    pairs = list(zip(ex_got, ix_got[-len(ex_got) :] if ex_got else [], strict=True))
    regrets = [regret(sc, a, b) for sc, (a, b) in zip(scored, pairs, strict=False)]
    return {
        "path": kind, "candidates": len(starts), "cams_kept": kept,
        "exact_ms": 1000 * float(np.median(ex_t)), "exact_max": 1000 * float(np.max(ex_t)),
        "index_ms": 1000 * float(np.median(ix_t)), "index_max": 1000 * float(np.max(ix_t)),
        "index_cpu": 1000 * float(np.median(ix_cpu)), "regret": max(regrets) if regrets else np.nan,
        "bulk_ms_latent": 1000 * bulk, "add_ms_chunk": 1000 * float(np.median(adds)) if adds else np.nan,
        "same_top1": sum(a[:1] == b[:1] for a, b in pairs), "same_set": sum(set(a) == set(b) for a, b in pairs),
        "compared": len(pairs),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latents", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=8)
    ap.add_argument("--exact-queries", type=int, default=3, help="queries timed with the exact method (slow)")
    ap.add_argument("--method", default="fov", choices=["fov", "worldmem"], help="the exact method")
    ap.add_argument("--paths", default="walk,loop,room")
    args = ap.parse_args()
    print(f"history {args.latents} latents, target <= 20 ms per query; exact = {args.method} "
          f"({args.exact_queries} queries), indexed = MemoryIndex ({args.queries} queries)")  # fmt: skip
    print(f"{'path':6} {'cand.':>6} {'cams':>6} {'exact ms':>9} {'(max)':>7} {'indexed ms':>10} {'(max)':>7} "
          f"{'(cpu)':>6} {'add ms/lat':>10} {'add ms/chunk':>12} {'same top1':>9} {'same set':>8} {'regret':>7}")  # fmt: skip
    for kind in args.paths.split(","):
        r = bench(kind, args.latents, args.queries, min(args.exact_queries, args.queries), args.method)
        print(
            f"{r['path']:6} {r['candidates']:6d} {r['cams_kept']:6d} {r['exact_ms']:9.1f} {r['exact_max']:7.1f} "
            f"{r['index_ms']:10.1f} {r['index_max']:7.1f} {r['index_cpu']:6.1f} {r['bulk_ms_latent']:10.3f} "
            f"{r['add_ms_chunk']:12.2f} {r['same_top1']:>4d}/{r['compared']:<4d} {r['same_set']:>3d}/{r['compared']:<4d} "
            f"{r['regret']:7.3f}"
        )


if __name__ == "__main__":
    main()
