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
    view_combos: str = typer.Option(
        "keep", "--view-combos", help="keep: 'LR+LU' for combined turns (lossless); yaw: the yaw key only."
    ),
) -> None:
    """Write the HY-WorldPlay release's pose JSON, action JSON and dataset list for every ok item."""
    from pipelines.jobs.export_hy import export_hy_worldplay

    try:
        result = export_hy_worldplay(source, out, view_combos=view_combos)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"exported {result.exported} items -> {result.list_path}")
    for item, why in sorted(result.skipped.items()):
        typer.echo(f"skipped {item}: {why}")
