"""Revisit fraction and clearance of generated trajectories on the synthetic scenes (issue 5 target).

The scenes are the demo's two DL3DV-style layouts: a street whose training cameras orbit a box
(``trajectories.orbit``) and a room walked through (``trajectories.walking``, every 4th frame). Each
is rendered at 160 x 90 and its points come from ``sample_surface_points`` (exact depths). Then
``--num`` trajectories, each with a random scene, kind and seed, of ``--frames`` frames at ``--fps``.
Every trajectory is re-checked independently of the generator: clearance against the points with a
scipy cKDTree, the shrunk hull with cv2.pointPolygonTest, speed and turn rate from the poses.
Printed: per kind and overall, the count, mean / min revisit fraction, min clearance over the limit,
violations and seconds per trajectory; then the ratio of the mean revisit fraction to the 0.4 target.
Targets: mean revisit fraction >= 0.4, zero clearance violations.

    python benchmarks/trajectory_revisit.py [--num 50] [--frames 240] [--fps 15] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from scipy.spatial import ConvexHull, cKDTree
from scipy.spatial.transform import Rotation

from wpdata.camera_paths import (
    TRAJECTORY_KINDS,
    PathLimits,
    PointClearance,
    generate_trajectory,
    reachable_region,
)
from wpdata.synth import intrinsics, make_world, render, sample_surface_points, trajectories

TARGET = 0.4


def build_scene(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training cameras [N, 4, 4], points [P, 3]) of a demo-style synthetic scene."""
    world = make_world(seed, kind)
    if kind == "street":
        cams = trajectories.orbit(world, 32, seed)
    else:
        cams = trajectories.walking(world, 128, 15.0, seed + 1, speed=1.0)[::4]
    K = intrinsics(160, 90, 70.0)
    views = [render(world, c, K, 160, 90) for c in cams]
    pts, _ = sample_surface_points(
        cams, K, [v[0] for v in views], [v[1] for v in views], 20000, seed, len(cams)
    )
    return cams, pts


def violations(traj, region, tree: cKDTree, limits: PathLimits, fps: float) -> dict[str, int]:
    """Frames breaking each rule, re-checked without the generator's code."""
    pos = traj.c2w[:, :3, 3]
    uv, _ = region.to_plane(pos)
    poly = region.centres_uv[ConvexHull(region.centres_uv).vertices].astype(np.float32)
    depth = np.array([cv2.pointPolygonTest(poly, (float(u), float(v)), True) for u, v in uv])
    rot = Rotation.from_matrix(traj.c2w[:-1, :3, :3]).inv() * Rotation.from_matrix(traj.c2w[1:, :3, :3])
    speed = np.linalg.norm(np.diff(pos, axis=0), axis=1) * fps
    return {
        "clearance": int((tree.query(pos)[0] < traj.clearance_limit).sum()),
        "region": int((depth < region.margin - 1e-4 * region.extent).sum()),
        "speed": int((speed > limits.speed_frac * region.extent * (1 + 1e-9)).sum()),
        "turn": int((np.degrees(rot.magnitude()) * fps > limits.turn_rate_deg * (1 + 1e-6)).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--num", type=int, default=50)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    limits = PathLimits()
    t0 = time.perf_counter()
    scenes = {}
    for name in ("street", "room"):
        cams, pts = build_scene(name, args.seed)
        scenes[name] = (
            cams,
            pts,
            reachable_region(cams, limits.margin_frac),
            PointClearance(pts),
            cKDTree(pts),
        )
    print(f"scenes built in {time.perf_counter() - t0:.1f} s: " + ", ".join(
        f"{k} ({len(v[0])} cameras, {len(v[1])} points, extent {v[2].extent:.2f})" for k, v in scenes.items()))  # fmt: skip
    rng = np.random.default_rng(args.seed)
    kinds = sorted(TRAJECTORY_KINDS)
    rows, failed = [], 0
    for _ in range(args.num):
        scene, kind, seed = str(rng.choice(list(scenes))), str(rng.choice(kinds)), int(rng.integers(1 << 31))
        cams, pts, region, clearance, tree = scenes[scene]
        t = time.perf_counter()
        try:
            traj = generate_trajectory(
                cams, pts, kind, seed, args.frames, args.fps, limits, region, clearance
            )
        except ValueError as exc:
            failed += 1
            print(f"  failed {scene}/{kind}/{seed}: {exc}")
            continue
        sec = time.perf_counter() - t
        bad = violations(traj, region, tree, limits, args.fps)
        rows.append((kind, traj.revisit_fraction, traj.min_clearance / traj.clearance_limit, bad, sec))
    print(
        f"\n{args.num} trajectories of {args.frames} frames at {args.fps:g} fps; {failed} failed to generate"
    )
    print(f"{'kind':<18}{'n':>4}{'revisit mean':>14}{'min':>7}{'clear/limit min':>17}"
          f"{'viol clr/reg/spd/turn':>23}{'s/traj':>8}")  # fmt: skip
    for name in [*kinds, "all"]:
        sel = [r for r in rows if name in (r[0], "all")]
        if not sel:
            continue
        rev = np.array([r[1] for r in sel])
        v = {k: sum(r[3][k] for r in sel) for k in ("clearance", "region", "speed", "turn")}
        print(f"{name:<18}{len(sel):>4}{rev.mean():>14.3f}{rev.min():>7.2f}{min(r[2] for r in sel):>17.2f}"
              f"{'/'.join(str(x) for x in v.values()):>23}{np.mean([r[4] for r in sel]):>8.2f}")  # fmt: skip
    mean = float(np.mean([r[1] for r in rows])) if rows else 0.0
    clear_bad = sum(r[3]["clearance"] > 0 for r in rows)
    print(f"\nmean revisit fraction {mean:.3f} vs target {TARGET}: ratio {mean / TARGET:.2f}; "
          f"trajectories with clearance violations: {clear_bad} (target 0)")  # fmt: skip


if __name__ == "__main__":
    main()
