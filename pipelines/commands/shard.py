"""``wp shard``: annotated clips / renders -> WebDataset shards, samples / shards manifests, wids index."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    root: Path = typer.Argument(
        ..., help="Job folder with manifests/annotations.parquet (and clips/renders)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (shards/, manifests/ go here)."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML overriding pipelines/configs/shard.yaml (any section)."
    ),
    window_latents: int | None = typer.Option(
        None, "--window-latents", help="One sample per window of N latent frames (4(N-1)+1 video frames)."
    ),
    vae: Path | None = typer.Option(
        None,
        "--vae",
        help="Pre-encode latents with this VAE folder (wp train-vae output or a diffusers video VAE); "
        "sets latents.vae_path.",
    ),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join (host:port); default RAY_ADDRESS or an embedded Ray."
    ),
    workers: int | None = typer.Option(
        None, "--workers", "-w", help="Shard-writing workers (actor pool size)."
    ),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip shards already complete."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress."),
) -> None:
    """Write the annotated items of ROOT as WebDataset shards into OUT/shards."""
    from pipelines.jobs.shard import shard
    from pipelines.jobs.shard_config import load_shard_config
    from pipelines.runtime.report import print_summary

    overrides: dict = {}
    if window_latents is not None:
        overrides["plan"] = {"window_latents": window_latents}
    if vae is not None:
        overrides["latents"] = {"vae_path": str(vae)}
    try:
        cfg = load_shard_config(config, overrides)
        result = shard(
            root, out, config=cfg, address=address, workers=workers, resume=resume, progress=progress
        )
    except (FileNotFoundError, ValueError, ConnectionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if result.latents is not None:
        print_summary(result.latents)
    print_summary(result.summary)
    counts = ", ".join(f"{k} {v}" for k, v in result.samples_by_status.items()) or "none"
    typer.echo(f"samples: {counts}  ->  {result.samples_path}")
    for split, path in result.index_paths.items():
        typer.echo(f"wids index ({split}): {path}")
    if result.skipped_shards:
        typer.echo(f"skipped {len(result.skipped_shards)} complete shard(s)")
