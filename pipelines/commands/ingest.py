"""``wp ingest``: probe videos and image-sequence folders into the ``sources`` manifest."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    inputs: list[Path] = typer.Argument(..., help="Video files and/or folders to search recursively."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (manifests/ and jobs/ go here)."),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join (host:port); default RAY_ADDRESS or an embedded Ray."
    ),
    image_fps: float = typer.Option(30.0, "--image-fps", help="Frame rate given to image-sequence folders."),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Probe workers (actor pool size)."),
    min_frames: int = typer.Option(16, "--min-frames", help="Drop sources with fewer frames (too_short)."),
    min_side: int = typer.Option(
        64, "--min-side", help="Drop sources whose width or height is smaller (too_small)."
    ),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="Skip sources already ok/dropped in the manifest."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress while probing."),
) -> None:
    """Probe every video and image-sequence folder under INPUTS into OUT/manifests/sources.parquet."""
    from pipelines.jobs.probe_sources import ProbeConfig, probe_sources
    from pipelines.runtime.report import print_summary

    try:
        config = ProbeConfig(image_fps=image_fps, min_frames=min_frames, min_side=min_side)
        summary = probe_sources(
            inputs, out, config=config, address=address, workers=workers, resume=resume, progress=progress
        )
    except (FileNotFoundError, ValueError, ConnectionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print_summary(summary)
