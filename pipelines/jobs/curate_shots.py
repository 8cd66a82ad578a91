"""Stage ``probe_and_split`` of ``wp curate clips``: probe a source, check it, find its shots, split them.

The spans go to ``<out>/jobs/curate_clips/shots/<source_id>.json`` (atomic), because the ``sources``
manifest has no column for them and clip ids (the next job's items) are made from them; a rerun
reads them back instead of decoding the source again. Beside the spans the file lists the shots too
short to give a span (``short_shots``, untrimmed), which become ``too_short`` clip rows.
"""

from __future__ import annotations

import json
from pathlib import Path

from manifests.atomic import atomic_write_text
from pipelines.jobs.curate_config import CurateConfig
from pipelines.jobs.probe_sources import ProbeStage
from pipelines.runtime import Stage

SHOTS_SUBDIR = Path("jobs") / "curate_clips" / "shots"


def shots_path(out_dir: str | Path, source_id: str) -> Path:
    """``<out>/jobs/curate_clips/shots/<source_id>.json``."""
    return Path(out_dir) / SHOTS_SUBDIR / f"{source_id}.json"


def read_shots(out_dir: str | Path, source_id: str) -> dict | None:
    """The shots file of a source, or None when it was never written."""
    p = shots_path(out_dir, source_id)
    return json.loads(p.read_text()) if p.is_file() else None


def worker_threads(stage: Stage) -> int:
    """Threads a stage's work may use: its declared cpus (at least 1); pins OpenCV to that many."""
    import cv2

    n = max(1, int(stage.num_cpus))
    cv2.setNumThreads(n)
    return n


class ProbeAndSplitStage(Stage):
    """Probe (``ProbeStage``), refuse rotated / variable-frame-rate files, detect cuts, split into spans."""

    name = "probe_and_split"
    num_cpus = 1

    def __init__(self, config: CurateConfig, out_dir: str | Path) -> None:
        self.config = config
        self.out_dir = str(out_dir)
        self.probe = ProbeStage(config.probe)
        self.threads = 1

    def setup(self) -> None:
        self.threads = worker_threads(self)

    def process(self, item: dict) -> dict:
        from wpdata.clips import pts_irregularity
        from wpdata.filters.frames import sample_frames
        from wpdata.filters.motion import estimate_motion
        from wpdata.filters.shots import detect_cuts, shot_spans

        row = self.probe.process(item)
        if row["status"] != "ok":
            return row
        shots = self.config.shots
        if row["rotation"]:
            return {**row, "status": "dropped", "drop_reasons": ["rotated"]}
        if row["kind"] == "video" and pts_irregularity(row["path"]) > shots.max_pts_irregularity:
            return {**row, "status": "dropped", "drop_reasons": ["variable_frame_rate"]}
        source_fps = row["fps"] if row["kind"] == "image_sequence" else None
        frames = sample_frames(
            row["path"],
            0,
            row["num_frames"],
            analysis_fps=shots.analysis_fps,
            width=shots.width,
            source_fps=source_fps,
            skip_nonref=shots.skip_nonref,
            threads=self.threads,
        )
        if len(frames) < 2:
            raise ValueError(f"only {len(frames)} frame(s) decoded for cut detection")
        cuts = detect_cuts(frames, estimate_motion(frames.gray))
        spans, short = shot_spans(row["num_frames"], cuts, row["fps"], shots.min_s, shots.max_s, shots.trim_s)
        doc = {
            "source_id": row["source_id"],
            "fps": row["fps"],
            "num_frames": row["num_frames"],
            "cuts": [int(c) for c in cuts],
            "spans": [[int(s), int(e)] for s, e in spans],
            "short_shots": [[int(s), int(e)] for s, e in short],
        }
        atomic_write_text(
            shots_path(self.out_dir, row["source_id"]), json.dumps(doc, indent=1, sort_keys=True)
        )
        if not spans:
            return {**row, "status": "dropped", "drop_reasons": ["too_short"]}
        return row
