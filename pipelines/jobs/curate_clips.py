"""Job ``curate_clips``: sources -> shots -> clip spans -> scores + decision -> kept clips at the target.

Two ``run_job`` calls, because a runtime job writes one table and its items must arrive with their
ids: clip ids exist only once a source's shots are known.

1. ``curate_clips_sources`` (table ``sources``): :class:`ProbeAndSplitStage` probes every discovered
   source (``discover_sources``, as ``wp ingest``), drops rotated / variable-frame-rate / too short
   ones, detects cuts and writes the spans beside the job (``jobs/curate_clips/shots/<id>.json``).
2. ``curate_clips`` (table ``clips``): one item per span of every ``ok`` source,
   ``clip_id = manifests.ids.clip_id(source_id, start, end)``; :class:`AnalyseAndExportStage` scores,
   decides and writes the kept clips. Each shot too short to give a span enters as one item of its
   untrimmed [start, end), already ``dropped`` (``too_short``); the stages pass it through.

Every discovered source has a ``sources`` row and every shot of an ``ok`` source ``clips`` rows
(``ok`` / ``dropped`` with reasons / ``failed`` with the error). Both jobs resume; a ``sources`` row written by another job
(``wp ingest``) without a shots file is probed and split again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from manifests.ids import clip_id
from manifests.io import read_manifest
from pipelines.jobs.curate_clip_stage import AnalyseAndExportStage, provenance
from pipelines.jobs.curate_config import CurateConfig
from pipelines.jobs.curate_shots import ProbeAndSplitStage, read_shots, shots_path
from pipelines.jobs.probe_sources import discover_sources
from pipelines.runtime import JobSummary, ray_session, run_job
from pipelines.runtime.store import manifest_path, read_rows_table

SOURCES_JOB, CLIPS_JOB = "curate_clips_sources", "curate_clips"


@dataclass
class CurateResult:
    """The two job summaries of one ``curate_clips`` run."""

    sources: JobSummary
    clips: JobSummary


def clip_items(out_dir: str | Path, source_ids: Sequence[str]) -> tuple[list[dict], dict[str, dict]]:
    """Clip items of the ``ok`` sources among ``source_ids`` (one per span, one ``too_short`` per short
    shot, in source then frame order), and those sources' rows."""
    tbl = read_manifest(manifest_path(out_dir, "sources"))
    wanted = set(source_ids)
    sources = {r["source_id"]: r for r in tbl.to_pylist() if r["source_id"] in wanted and r["status"] == "ok"}
    items = []
    for sid, src in sorted(sources.items()):
        shots = read_shots(out_dir, sid) or {}
        spans = [(int(s), int(e), False) for s, e in shots.get("spans", [])]
        short = [(int(s), int(e), True) for s, e in shots.get("short_shots", [])]
        for start, end, too_short in sorted(spans + short):
            items.append(_clip_item(src, start, end, too_short))
    return items, sources


def _clip_item(src: dict, start: int, end: int, too_short: bool) -> dict:
    """The clips-job item of frames [start, end) of ``src``; a short shot's is ``dropped`` already."""
    fps = float(src["fps"])
    item = {
        "clip_id": clip_id(src["source_id"], start, end),
        "source_id": src["source_id"],
        "start_frame": start,
        "end_frame": end,
        "start_s": start / fps,
        "end_s": end / fps,
        "fps": fps,
        "duration_s": (end - start) / fps,
    }
    if too_short:
        item.update(
            width=src["width"],
            height=src["height"],
            **provenance(src, start, end),
            status="dropped",
            drop_reasons=["too_short"],
            error=None,
        )
    return item


def curate_clips(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    config: CurateConfig | None = None,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: bool = True,
    num_cpus: int | None = None,
    flush_rows: int = 64,
) -> CurateResult:
    """Curate every video / image-sequence folder under ``inputs`` into ``<out>/manifests`` and ``<out>/clips``."""
    config = config or CurateConfig()
    out_dir = Path(out_dir)
    items = discover_sources(inputs)
    job_config = {**config.to_dict(), "inputs": [str(Path(i).resolve()) for i in inputs], "workers": workers}
    # a done ok source without its shots file (probed by `wp ingest`) needs splitting: redo the sources
    prior = read_rows_table(out_dir, "sources", "source_id") if resume else None
    ok = (
        {r["source_id"] for r in prior.select(["source_id", "status"]).to_pylist() if r["status"] == "ok"}
        if prior
        else set()
    )
    no_shots = [
        it for it in items if it["source_id"] in ok and not shots_path(out_dir, it["source_id"]).exists()
    ]
    resume_sources = resume and not no_shots
    with ray_session(address, num_cpus=num_cpus):
        sources = run_job(
            SOURCES_JOB,
            "sources",
            items,
            [ProbeAndSplitStage(config, out_dir)],
            out_dir,
            resume=resume_sources,
            config=job_config,
            progress=progress,
            concurrency=workers,
            flush_rows=flush_rows,
        )
        clips, rows = clip_items(out_dir, [it["source_id"] for it in items])
        summary = run_job(
            CLIPS_JOB,
            "clips",
            clips,
            [AnalyseAndExportStage(config, rows, out_dir)],
            out_dir,
            resume=resume,
            config=job_config,
            progress=progress,
            concurrency=workers,
            flush_rows=flush_rows,
        )
    return CurateResult(sources, summary)
