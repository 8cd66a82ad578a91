"""CPU splatting: the tile rasterizer (wpdata.splat.rasterize) against the dense all-Gaussians compositor.

Both render the same random scene (projection and colours are shared code; only compositing differs),
timed in wall-clock and in process CPU time (steadier on a machine shared with other jobs),
forward + backward to means, quats, scales, opacities and colours. Each method runs in its own child
process so that its peak RSS is its own. Prints a table, the max abs differences of the image and of
every gradient, and the speed ratio dense / tile (target >= 100x at 20k Gaussians, 128x128).

    OMP_NUM_THREADS=2 python benchmarks/splat_raster_speed.py            # headline, dense at 20k
    python benchmarks/splat_raster_speed.py --dense-gaussians 5000       # quicker dense
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch

NAMES = ["means", "quats", "scales", "opacities", "colors"]


def make_scene(n: int, width: int, height: int, seed: int = 0):
    """Random Gaussians in a box 3-5 units before a camera at the origin; radii of a few to tens of pixels."""
    g = torch.Generator().manual_seed(seed)
    f = 0.95 * width
    z = 3.0 + 2.0 * torch.rand(n, generator=g)
    xy = (torch.rand(n, 2, generator=g) - 0.5) * torch.tensor([width, height]) * 1.1 / f * z[:, None]
    means = torch.cat([xy, z[:, None]], 1)  # [N, 3]
    quats = torch.randn(n, 4, generator=g)  # [N, 4]
    scales = torch.exp(torch.randn(n, 3, generator=g) * 0.6 - 3.6)  # [N, 3] median ~0.027
    opacities = torch.rand(n, generator=g) * 0.9 + 0.05  # [N]
    colors = torch.rand(n, 3, generator=g)  # [N, 3]
    K = torch.tensor([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1.0]])
    return [means, quats, scales, opacities, colors], torch.eye(4), K


def render(method: str, params, viewmat, K, width: int, height: int, pixel_chunk: int):
    """(rgb [H, W, 3], radii [N, 2]) of one method, with the graph to the params."""
    from wpdata.splat.project import project_gaussians
    from wpdata.splat.raster_dense import rasterize_dense
    from wpdata.splat.rasterize import rasterize

    if method == "tile":
        out = rasterize(*params, viewmat, K, width, height)
        return out.rgb, out.radii
    means, quats, scales, opacities, colors = params
    p = project_gaussians(means, quats, scales, viewmat, K, width, height, opacities=opacities)
    img, _ = rasterize_dense(
        p.means2d, p.conics, opacities, colors, p.depths, (p.radii > 0).all(-1), width, height, pixel_chunk
    )
    return img, p.radii


def worker(a: argparse.Namespace) -> None:
    """Time one method in this process and save its image, gradients, timings and peak RSS."""
    torch.manual_seed(0)
    scene, viewmat, K = make_scene(a.n, a.width, a.height, a.seed)
    w = torch.randn(a.height, a.width, 3, generator=torch.Generator().manual_seed(1))  # loss weights
    times = []
    for _ in range(a.repeats):
        params = [x.clone().requires_grad_() for x in scene]
        t0, c0 = time.perf_counter(), time.process_time()
        rgb, radii = render(a.method, params, viewmat, K, a.width, a.height, a.pixel_chunk)
        t1 = time.perf_counter()
        (rgb * w).sum().backward()
        times.append((t1 - t0, time.perf_counter() - t1, time.process_time() - c0))
    best = min(times, key=lambda t: t[0] + t[1])
    vis = (radii > 0).all(-1)
    stats = {
        "fwd_s": best[0], "bwd_s": best[1], "total_s": best[0] + best[1], "cpu_s": best[2],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "visible": int(vis.sum()), "mean_radius_px": float(radii[vis].float().mean()),
    }  # fmt: skip
    torch.save(
        {"rgb": rgb.detach(), **{n: p.grad for n, p in zip(NAMES, params, strict=True)}, "stats": stats},
        a.out,
    )


def run_child(method: str, n: int, a: argparse.Namespace, tmp: str, repeats: int) -> dict:
    """Run ``worker`` for one method in a fresh process and load what it saved."""
    out = os.path.join(tmp, f"{method}_{n}.pt")
    cmd = [sys.executable, __file__, "--worker", "--method", method, "--n", str(n), "--out", out,
           "--width", str(a.width), "--height", str(a.height), "--seed", str(a.seed),
           "--repeats", str(repeats), "--pixel-chunk", str(a.pixel_chunk)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return torch.load(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="Gaussians")
    ap.add_argument(
        "--dense-gaussians", type=int, default=None, help="Gaussians for the dense run (default --n)"
    )
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5, help="tile runs (best is reported)")
    ap.add_argument("--dense-repeats", type=int, default=1)
    ap.add_argument("--pixel-chunk", type=int, default=512, help="dense: pixels per checkpointed chunk")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="tile", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)
    nd = a.dense_gaussians or a.n
    print(
        f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, torch {torch.get_num_threads()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs = {("tile", a.n): run_child("tile", a.n, a, tmp, a.repeats)}
        if nd != a.n:
            runs[("tile", nd)] = run_child("tile", nd, a, tmp, a.repeats)
        runs[("dense", nd)] = run_child("dense", nd, a, tmp, a.dense_repeats)
    print(f"\n{a.width}x{a.height}, forward + backward (best of repeats), peak RSS of the whole process")
    head = ["method", "N", "visible", "radius", "fwd s", "bwd s", "total s", "cpu s", "peak MB"]
    print(f"{head[0]:8s}" + "".join(f"{h:>9s}" for h in head[1:]))
    for (m, n), r in runs.items():
        s = r["stats"]
        print(f"{m:8s} {n:8d} {s['visible']:8d} {s['mean_radius_px']:8.2f} {s['fwd_s']:8.3f} {s['bwd_s']:8.3f} "
              f"{s['total_s']:8.3f} {s['cpu_s']:8.3f} {s['peak_rss_mb']:8.0f}")  # fmt: skip
    tile, dense = runs[("tile", nd)], runs[("dense", nd)]
    print(f"\nmax abs difference tile vs dense at N={nd} (scale = max abs of dense's)")
    for k in ["rgb", *NAMES]:
        d, ref = (tile[k] - dense[k]).abs().max(), dense[k].abs().max()
        print(
            f"  {k:10s} {float(d):.3e}   scale {float(ref):.3e}   relative {float(d / ref.clamp(min=1e-12)):.2e}"
        )
    ratio = dense["stats"]["total_s"] / tile["stats"]["total_s"]
    cpu_ratio = dense["stats"]["cpu_s"] / tile["stats"]["cpu_s"]
    print(
        f"\nspeed ratio dense / tile at N={nd}: {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU (target >= 100x at 20000)"
    )
    print("(CPU = process time of all threads: steadier than wall time when other jobs share the machine)")
    stats = {f"{m}_{k}": runs[(m, nd)]["stats"][k] for m in ("tile", "dense") for k in ("total_s", "cpu_s")}
    print(json.dumps({"ratio": ratio, "cpu_ratio": cpu_ratio, "n": nd, **stats}))


if __name__ == "__main__":
    main()
