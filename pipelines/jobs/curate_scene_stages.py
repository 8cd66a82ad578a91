"""Stages of ``wp curate scenes``: reconstruct a scene with Gaussian splatting; render one trajectory.

Files under the job folder: ``scenes/<scene_id>/`` (checkpoints, ``splat.ply``, ``cameras.npz``,
``metrics.json``: ``wpdata.splat.reconstruct``) and ``renders/<scene_id>/<render_id>.{mp4,c2w.npy,K.npy,png}``
(``wpdata.scene_render.write_render``). Manifest paths are relative to ``<out>/manifests``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.jobs.curate_scenes_config import ScenesConfig
from pipelines.runtime import Stage
from pipelines.runtime.store import manifest_path
from wpdata.camera_paths import (
    PointClearance,
    evaluate_trajectory,
    generate_trajectory,
    load_user_trajectory,
    reachable_region,
)
from wpdata.geometry import scale_K
from wpdata.scene_render import DiffusersFixer, Fixer, InpaintFixer, render_trajectory, write_render
from wpdata.scene_render.splat_fn import splat_render_fn
from wpdata.scenes import load_scene
from wpdata.splat.ply import read_ply
from wpdata.splat.train import reconstruct

USER_KIND = "user"


def manifests_dir(out_dir: str | Path) -> Path:
    return manifest_path(out_dir, "scenes").parent


def _rel(path: str | Path, out_dir: Path) -> str:
    return os.path.relpath(Path(path), manifests_dir(out_dir))


class ReconstructStage(Stage):
    """Scene folder -> splats (resuming from the scene's checkpoint) -> a ``scenes`` row."""

    name = "reconstruct"

    def __init__(self, config: ScenesConfig, out_dir: str | Path) -> None:
        self.config, self.out_dir = config, Path(out_dir)
        self.num_gpus = 1 if config.reconstruct.device == "cuda" else 0

    def process(self, item: dict) -> dict:
        rc = self.config.reader
        scene = load_scene(item["path"], rc.factor, rc.format, rc.min_images, rc.test_every)
        fields = reconstruct(scene, self.out_dir / "scenes" / item["scene_id"], self.config.reconstruct)
        fields.update(
            ply_path=_rel(fields["ply_path"], self.out_dir),
            cameras_path=_rel(fields["cameras_path"], self.out_dir),
            factor=scene.factor,
            num_missing=scene.num_missing,
        )
        return {**item, **fields}


def render_items(config: ScenesConfig, scene_rows: list[dict]) -> list[dict]:
    """One render item per (ok scene, kind, seed) and per (ok scene, user file)."""
    from manifests.ids import render_id

    tc = config.trajectories
    items = []
    for row in scene_rows:
        if row["status"] != "ok":
            continue
        sid = row["scene_id"]
        for kind in tc.kinds:
            for k in range(tc.per_kind):
                seed = tc.seed + k
                items.append({"render_id": render_id(sid, kind, seed), "scene_id": sid,
                              "trajectory_kind": kind, "seed": seed})  # fmt: skip
        for i, path in enumerate(tc.user_files):
            items.append({"render_id": render_id(sid, USER_KIND, i), "scene_id": sid, "trajectory_kind": USER_KIND,
                          "seed": i, "trajectory_path": str(Path(path).resolve())})  # fmt: skip
    return items


def _fixer(spec: str) -> Fixer:
    return InpaintFixer() if spec == "inpaint" else DiffusersFixer(spec)


class RenderStage(Stage):
    """(scene, trajectory kind, seed) -> generated path -> splat render -> repaired mp4 + ``renders`` row."""

    name = "render"

    def __init__(self, config: ScenesConfig, scene_rows: dict[str, dict], out_dir: str | Path) -> None:
        self.config, self.scenes, self.out_dir = config, scene_rows, Path(out_dir)
        self.num_gpus = 1 if config.render.device == "cuda" else 0
        self._cache: dict[str, Any] = {}

    def _scene(self, sid: str) -> dict[str, Any]:
        """The scene's renderer, cameras, points and reachable region (cached per worker)."""
        if sid not in self._cache:
            row, mdir = self.scenes[sid], manifests_dir(self.out_dir)
            cams = np.load(mdir / row["cameras_path"])
            ply = mdir / row["ply_path"]
            points = read_ply(ply)["means"].astype(np.float64)  # [N, 3] the splats' centres
            c2w = cams["c2w"][cams["train_idx"]]  # [N, 4, 4] normalised frame
            limits = self.config.trajectories.path_limits()
            self._cache = {sid: {  # one scene at a time: renders of a scene arrive together
                "render_fn": splat_render_fn(ply, self.config.render.device),
                "c2w": c2w, "K": cams["K"][0], "size": (int(cams["widths"][0]), int(cams["heights"][0])),
                "points": points, "limits": limits,
                "region": reachable_region(c2w, limits.margin_frac), "clearance": PointClearance(points),
            }}  # fmt: skip
        return self._cache[sid]

    def process(self, item: dict) -> dict:
        tc, rc = self.config.trajectories, self.config.render
        sc = self._scene(item["scene_id"])
        if item["trajectory_kind"] == USER_KIND:
            c2w = load_user_trajectory(item["trajectory_path"], fps=tc.fps)
            traj = evaluate_trajectory(c2w, sc["points"], sc["region"].extent, tc.fps, USER_KIND, item["seed"],
                                       sc["limits"], sc["clearance"])  # fmt: skip
        else:
            traj = generate_trajectory(sc["c2w"], sc["points"], item["trajectory_kind"], item["seed"],
                                       tc.num_frames, tc.fps, sc["limits"], sc["region"], sc["clearance"])  # fmt: skip
        w0, h0 = sc["size"]
        width = int(rc.width)
        height = max(2, int(round(h0 * width / w0 / 2)) * 2)
        K = scale_K(sc["K"], width / w0, height / h0)  # [3, 3]
        t0 = time.perf_counter()
        frames, alpha, _ = render_trajectory(sc["render_fn"], traj.c2w, K, width, height)
        folder = self.out_dir / "renders" / item["scene_id"]
        folder.mkdir(parents=True, exist_ok=True)
        row = write_render(folder, item["scene_id"], traj, frames, alpha, K, rc.render_limits(), _fixer(rc.fixer),
                           manifests_dir(self.out_dir), sc["region"], sc["points"],
                           time.perf_counter() - t0)  # fmt: skip
        plot = folder / f"{row['render_id']}.png"
        row["plot_path"] = _rel(plot, self.out_dir) if plot.exists() else None
        if item.get("trajectory_path"):
            row["trajectory_path"] = item["trajectory_path"]
        return row
