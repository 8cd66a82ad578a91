"""``wp export``: annotated items in other projects' formats."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(name="export", help="Export annotated items to other formats.", no_args_is_help=True)


@app.command("hy-worldplay")
def hy_worldplay(
    source: Path = typer.Argument(..., help="A job folder with manifests/annotations.parquet, or that file."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output folder (<item>_pose/_action.json + dataset.json)."
    ),
    shards_root: Path | None = typer.Option(
        None,
        "--shards-root",
        help="`wp shard --vae` output folder whose latents to list (default: SOURCE, when it has them).",
    ),
    view_combos: str = typer.Option(
        "keep", "--view-combos", help="keep: 'LR+LU' for combined turns (lossless); yaw: the yaw key only."
    ),
) -> None:
    """Write the HY-WorldPlay release's pose JSON, action JSON and dataset list for every ok item."""
    from pipelines.jobs.export_hy import export_hy_worldplay, latent_paths_of

    if shards_root is not None and not (shards_root / "manifests" / "latents.parquet").is_file():
        typer.echo(f"error: {shards_root}: no latents manifest (run wp shard --vae)", err=True)
        raise typer.Exit(2)
    root = shards_root or (source.parent.parent if source.suffix == ".parquet" else source)
    latents = latent_paths_of(root)
    try:
        result = export_hy_worldplay(source, out, latent_paths=latents or None, view_combos=view_combos)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"exported {result.exported} items ({result.with_latents} with latents) -> {result.list_path}")
    for item, why in sorted(result.skipped.items()):
        typer.echo(f"skipped {item}: {why}")
