"""Stage ``analyse_and_export`` of ``wp curate clips``: scores, decision, and the files of a kept clip.

One stage rather than three so a worker takes a clip from decode to mp4 on its own core: the job
scales with workers (an analysis pool and an encoder pool would each want the same cores).
Per clip: ``wpdata.filters.analyse.analyse_span`` -> ``wpdata.filters.decide.decide`` -> for kept
clips ``<out>/clips/<clip_id>.mp4`` (target size, source fps), ``<clip_id>.poses.npz`` (when the
source came with poses) and ``<clip_id>.json`` (span, fps, size, scores, decision, provenance).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from manifests.atomic import atomic_write_text
from manifests.schemas import schema_for
from pipelines.jobs.curate_config import CurateConfig
from pipelines.jobs.curate_shots import worker_threads
from pipelines.runtime import Stage
from pipelines.runtime.rows import to_python

CLIPS_SUBDIR = "clips"
_COLUMNS = frozenset(schema_for("clips").names)


def provenance(source: dict, start: int, end: int) -> dict[str, Any]:
    """Sekai name fields (original video id and absolute frame span) of a clip of ``source``."""
    from wpdata.clips import parse_sekai_name

    name = parse_sekai_name(
        Path(source["path"]).stem if source["kind"] == "video" else Path(source["path"]).name
    )
    if name is None:
        return {}
    return {
        "source_video_id": name.video_id,
        "source_start_frame": name.start_frame + start,
        "source_end_frame": name.start_frame + end,
    }


class AnalyseAndExportStage(Stage):
    """Analyse a clip span, decide keep/drop, write a kept clip's files; see the module docstring."""

    name = "analyse_and_export"
    num_cpus = 1

    def __init__(self, config: CurateConfig, sources: dict[str, dict], out_dir: str | Path) -> None:
        self.config = config
        self.sources = sources  # source_id -> sources row (path, kind, fps, size, pose_path, ...)
        self.out_dir = str(out_dir)
        self.detector: Any = None
        self.analysis = config.analysis  # as configured, with threads pinned to this stage's cpus in setup

    def setup(self) -> None:
        from wpdata.filters.analyse import make_detector

        self.analysis = replace(self.config.analysis, threads=worker_threads(self))
        self.detector = make_detector(self.analysis)

    def process(self, item: dict) -> dict:
        from wpdata.filters.analyse import analyse_span
        from wpdata.filters.decide import decide

        src = self.sources[item["source_id"]]
        start, end = int(item["start_frame"]), int(item["end_frame"])
        source_fps = float(src["fps"]) if src["kind"] == "image_sequence" else None
        scores = analyse_span(src["path"], start, end, self.analysis, source_fps, self.detector)
        row = {
            **item,
            **scores,
            "width": src["width"],
            "height": src["height"],
            **provenance(src, start, end),
        }
        status, reasons = decide(row, self.config.thresholds)
        row.update(status=status, drop_reasons=reasons)
        if status == "ok":
            row.update(self._export(row, src))
        return {k: v for k, v in row.items() if k in _COLUMNS}

    def _export(self, row: dict, src: dict) -> dict[str, Any]:
        """Write mp4, poses and json of a kept clip; returns the manifest columns they fill."""
        from wpdata.clips import (
            crop_resize_K,
            export_clip,
            parse_size,
            read_source_poses,
            slice_poses,
            write_clip_poses,
        )

        out = Path(self.out_dir) / CLIPS_SUBDIR
        cid, start, end = row["clip_id"], int(row["start_frame"]), int(row["end_frame"])
        exp = self.config.export
        target = parse_size(exp.target)
        result = export_clip(
            src["path"],
            out / f"{cid}.mp4",
            start,
            end,
            src_size=(int(src["width"]), int(src["height"])),
            fps=float(src["fps"]),
            target=target,
            whole_source=start == 0 and end == int(src["num_frames"]),
            source_fps=float(src["fps"]) if src["kind"] == "image_sequence" else None,
            crf=exp.crf,
            preset=exp.preset,
            threads=exp.threads,
            decode_threads=self.analysis.threads,
        )
        cols: dict[str, Any] = {
            "path": f"../{CLIPS_SUBDIR}/{cid}.mp4",
            "meta_path": f"../{CLIPS_SUBDIR}/{cid}.json",
        }
        pose_error = None
        if src.get("pose_path"):
            try:
                poses = slice_poses(read_source_poses(src["pose_path"]), start, end)
                poses.K = crop_resize_K(poses.K, result.crop, target)  # intrinsics of the exported frames
                write_clip_poses(out / f"{cid}.poses.npz", poses, start)
                cols.update(pose_path=f"../{CLIPS_SUBDIR}/{cid}.poses.npz", pose_source=poses.kind)
            except (OSError, ValueError, KeyError) as exc:
                pose_error = f"poses not sliced: {type(exc).__name__}: {exc}"
                cols["error"] = pose_error
        meta = {
            "clip_id": cid,
            "source": {"source_id": src["source_id"], "uri": src["uri"], "kind": src["kind"]},
            "span": {
                "start_frame": start,
                "end_frame": end,
                "start_s": row["start_s"],
                "end_s": row["end_s"],
            },
            "fps": result.fps,
            "size": [result.width, result.height],
            "num_frames": result.num_frames,
            "source_size": [int(src["width"]), int(src["height"])],
            "crop": list(result.crop),
            "export": {"method": result.method, "crf": exp.crf, "preset": exp.preset},
            "scores": {
                k: v for k, v in row.items() if k.startswith(("score_", "overlay_")) or k == "duration_s"
            },
            "decision": {"status": row["status"], "drop_reasons": row["drop_reasons"]},
            "provenance": {
                **{
                    k: row[k]
                    for k in ("source_video_id", "source_start_frame", "source_end_frame")
                    if k in row
                },
                "pose_source": cols.get("pose_source"),
                "pose_error": pose_error,
                "analysis": self.config.analysis.to_dict(),
            },
        }
        atomic_write_text(out / f"{cid}.json", json.dumps(to_python(meta), indent=1, sort_keys=True))
        return cols
