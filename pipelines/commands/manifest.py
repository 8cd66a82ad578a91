"""`wp manifest ...`: look at and check parquet manifests (the logic lives in manifests/)."""

from __future__ import annotations

from pathlib import Path

import typer

from manifests.inspect import failed as failed_text
from manifests.inspect import show as show_text
from manifests.inspect import stats as stats_text
from manifests.io import read_manifest
from manifests.validate import validate_path

app = typer.Typer(
    help="Inspect and validate manifests (a .parquet file or a folder of them).", no_args_is_help=True
)

_PATH = typer.Argument(..., help="Manifest: a .parquet file or a directory dataset.")


def _read(path: Path):
    try:
        return read_manifest(path)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def show(
    path: Path = _PATH,
    limit: int = typer.Option(20, "--limit", "-n", help="Rows to print."),
    columns: str = typer.Option(
        "", "--columns", "-c", help="Comma-separated columns to print (default all)."
    ),
) -> None:
    """Print the first rows of a manifest."""
    table = _read(path)
    cols = [c.strip() for c in columns.split(",") if c.strip()] or None
    try:
        typer.echo(show_text(table, limit=limit, columns=cols))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def stats(path: Path = _PATH) -> None:
    """Print rows by status and by drop reason, and quantiles of every numeric column."""
    typer.echo(stats_text(_read(path)))


@app.command()
def failed(path: Path = _PATH) -> None:
    """Print the failed rows with their error messages."""
    typer.echo(failed_text(_read(path)))


@app.command()
def validate(path: Path = _PATH) -> None:
    """Check a manifest against its schema and the row contract; exit code 1 when there are problems."""
    table, problems = validate_path(path)
    if problems:
        typer.echo(f"{path}: {len(problems)} problem(s) (table: {table or 'unknown'})")
        for p in problems:
            typer.echo(f"  - {p}")
        raise typer.Exit(1)
    typer.echo(f"{path}: valid {table} manifest")


@app.command()
def refilter(
    path: Path = _PATH,
    thresholds: Path = typer.Option(
        None,
        "--thresholds",
        "-t",
        help="YAML of thresholds (flat, or under 'thresholds:'); default: built-in.",
    ),
    overrides: list[str] = typer.Option(
        [], "--set", "-s", help="Override one threshold, NAME=VALUE (repeatable), e.g. --set max_shake=0.4."
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Write here instead of in place (.parquet)."),
) -> None:
    """Re-decide every non-failed row of a clips manifest from its stored scores (nothing is decoded)."""
    from pipelines.refilter import parse_overrides, refilter_manifest, summary_lines
    from wpdata.filters.decide import CurationThresholds

    try:
        th = CurationThresholds.from_yaml(thresholds) if thresholds else CurationThresholds()
        th = th.with_overrides(parse_overrides(overrides))
        result = refilter_manifest(path, th, out)
    except (FileNotFoundError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo("\n".join(summary_lines(result)))
    typer.echo(f"wrote {out or path}")
