"""Job ``curate_scenes``: multi-view scene folders -> Gaussian splats -> revisit-heavy renders.

Two ``run_job`` calls (a runtime job writes one table):

1. ``curate_scenes`` (table ``scenes``): one item per discovered scene folder (DL3DV, nerfstudio
   ``transforms.json``, COLMAP sparse model), ``scene_id = manifests.ids.scene_id(path)``;
   :class:`ReconstructStage` reads, normalises and reconstructs it (resuming from the scene's last
   checkpoint after a kill) and records held-out PSNR / SSIM. A scene with NaN or missing poses,
   unreadable images, too few images or a diverging optimisation leaves a ``failed`` row.
2. ``curate_scenes_renders`` (table ``renders``): one item per (ok scene, trajectory kind, seed) and per
   (ok scene, user trajectory file), ``render_id = manifests.ids.render_id(scene, kind, seed)``;
   :class:`RenderStage` generates the path, renders RGB / alpha / depth, repairs holes and writes the
   mp4 + c2w + K + plot; a render with too many holes is ``dropped`` (``too_many_holes``).

The renders manifest is what ``wp annotate`` and ``wp shard`` read (poses are exact: pose source
``render``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from manifests.ids import scene_id
from manifests.io import read_manifest
from pipelines.jobs.curate_scene_stages import ReconstructStage, RenderStage, render_items
from pipelines.jobs.curate_scenes_config import ScenesConfig
from pipelines.runtime import JobSummary, ray_session, run_job
from pipelines.runtime.store import manifest_path
from wpdata.scenes.errors import SceneError
from wpdata.scenes.load import detect_format

SCENES_JOB, RENDERS_JOB = "curate_scenes", "curate_scenes_renders"


@dataclass
class ScenesResult:
    """The two job summaries of one ``curate_scenes`` run."""

    scenes: JobSummary
    renders: JobSummary


def _is_scene(path: Path) -> bool:
    try:
        detect_format(path)
    except SceneError:
        return False
    return True


def discover_scenes(inputs: Sequence[str | Path]) -> list[dict]:
    """Scene items of ``inputs``: each a scene folder, or a folder whose sub-folders are scenes.

    An input that is neither is kept as an item of its own, so that it fails with the reader's message
    instead of vanishing.
    """
    items, seen = [], set()
    for raw in inputs:
        path = Path(raw).resolve()
        subs = (
            sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() and not _is_scene(path) else []
        )
        found = [p for p in subs if _is_scene(p)] or [path]
        for p in found:
            sid = scene_id(str(p))
            if sid not in seen:
                seen.add(sid)
                items.append({"scene_id": sid, "path": str(p)})
    return items


def curate_scenes(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    config: ScenesConfig | None = None,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: bool = True,
    num_cpus: int | None = None,
) -> ScenesResult:
    """Reconstruct every scene under ``inputs`` and render its trajectories into ``out_dir``."""
    config = config or ScenesConfig()
    out_dir = Path(out_dir)
    items = discover_scenes(inputs)
    if not items:
        raise FileNotFoundError(f"no scene folders under {[str(i) for i in inputs]}")
    job_config = {**config.to_dict(), "inputs": [str(Path(i).resolve()) for i in inputs], "workers": workers}
    with ray_session(address, num_cpus=num_cpus):
        scenes = run_job(SCENES_JOB, "scenes", items, [ReconstructStage(config, out_dir)], out_dir,
                         resume=resume, config=job_config, progress=progress, concurrency=workers)  # fmt: skip
        wanted = {it["scene_id"] for it in items}
        rows = [
            r for r in read_manifest(manifest_path(out_dir, "scenes")).to_pylist() if r["scene_id"] in wanted
        ]
        renders = run_job(
            RENDERS_JOB, "renders", render_items(config, rows),
            [RenderStage(config, {r["scene_id"]: r for r in rows if r["status"] == "ok"}, out_dir)], out_dir,
            resume=resume, config=job_config, progress=progress, concurrency=workers,
        )  # fmt: skip
    return ScenesResult(scenes, renders)
