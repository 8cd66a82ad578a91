"""Job ``annotate``: kept clips / renders -> poses, actions, captions, caption embeddings.

Items are the ``ok`` rows of the clips and renders manifests given (``annotate_items``); the job writes
``<out>/manifests/annotations.parquet`` (one row per item, ``item_id`` = clip_id or render_id) and the
per-item files under ``<out>/annotations/``. Stages: :class:`PoseActionStage` (CPU) ->
:class:`CaptionStage` (actor pool, GPU when configured) -> :class:`EmbedStage` (actor pool). An item
whose poses cannot be estimated, whose pose file is malformed or whose caption model fails leaves a
``failed`` row with the reason; reruns skip ``ok`` items.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipelines.jobs.annotate_config import AnnotateConfig
from pipelines.jobs.annotate_items import annotation_items
from pipelines.jobs.annotate_stages import CaptionStage, EmbedStage, PoseActionStage
from pipelines.runtime import JobSummary, Stage, run_job

ANNOTATE_JOB = "annotate"


def annotate(
    sources: Sequence[str | Path],
    out_dir: str | Path,
    *,
    config: AnnotateConfig | None = None,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: bool = True,
    num_cpus: int | None = None,
) -> JobSummary:
    """Annotate the ``ok`` clips/renders of ``sources`` (job folders or manifests) into ``out_dir``."""
    config = config or AnnotateConfig()
    items, contexts = annotation_items(list(sources), out_dir)
    stages: list[Stage] = [
        PoseActionStage(config, contexts, out_dir),
        CaptionStage(config, contexts, out_dir),
    ]
    if config.embed.enabled and config.captions.captioner != "none":
        stages.append(EmbedStage(config, out_dir))
    job_config = {
        **config.to_dict(),
        "sources": [str(Path(s).resolve()) for s in sources],
        "workers": workers,
    }
    return run_job(
        ANNOTATE_JOB,
        "annotations",
        items,
        stages,
        out_dir,
        address=address,
        resume=resume,
        config=job_config,
        progress=progress,
        concurrency=workers,
        num_cpus=num_cpus,
    )
