"""``wp annotate``: camera poses, discrete actions, captions and caption embeddings for kept items."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    sources: list[Path] = typer.Argument(
        ..., help="Job folders (with manifests/clips.parquet or renders.parquet) or those manifests."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (manifests/, annotations/ go here)."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML overriding pipelines/configs/annotate.yaml (any section)."
    ),
    poses: str | None = typer.Option(None, "--poses", help="auto | given | estimate (config default auto)."),
    vlm: str | None = typer.Option(
        None, "--vlm", help="Caption with this image-text-to-text model (local folder or hub id)."
    ),
    gpus: float | None = typer.Option(None, "--caption-gpus", help="GPUs per caption worker."),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join (host:port); default RAY_ADDRESS or an embedded Ray."
    ),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Workers per stage (actor pool size)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip items already ok/dropped."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress."),
) -> None:
    """Annotate the kept clips/renders of SOURCES into OUT/manifests/annotations.parquet."""
    from pipelines.jobs.annotate import annotate
    from pipelines.jobs.annotate_config import load_annotate_config
    from pipelines.runtime.report import print_summary

    overrides: dict = {}
    if poses is not None:
        overrides["poses"] = {"mode": poses}
    if vlm is not None:
        overrides["captions"] = {"captioner": "vlm", "model_path": vlm}
    if gpus is not None:
        overrides.setdefault("captions", {})["num_gpus"] = gpus
        if gpus > 0:
            overrides["captions"]["device"] = "cuda"
    try:
        cfg = load_annotate_config(config, overrides)
        summary = annotate(
            sources, out, config=cfg, address=address, workers=workers, resume=resume, progress=progress
        )
    except (FileNotFoundError, ValueError, ConnectionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print_summary(summary)
