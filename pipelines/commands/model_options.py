"""Command-line options shared by the commands that run a trained model (`wp generate`, `wp play`,
`wp eval`): the same flag, default and help everywhere, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

CHECKPOINT = typer.Option(..., "--checkpoint", help="Run folder (newest checkpoint) or step_* folder.")
CONFIG = typer.Option(None, "--config", "-c", help="Train YAML (default: the run's train_config.json).")
CAPTION = typer.Option("", "--caption", help="Scene caption ('' = no caption).")
KEYS = typer.Option(None, "--keys", help="Key script, e.g. 'W*16 D*8' (one label per latent).")
PATH = typer.Option(None, "--path", help="Camera path file: TUM or KITTI, per video frame.")
OUT_MP4 = typer.Option(..., "--out", "-o", help="Output mp4.")
CHUNKS = typer.Option(None, "--chunks", help="Chunks to generate (default: the whole path).")
SHIFT = typer.Option(3.0, "--shift", help="Timestep shift of the sampling grid.")
NO_MEMORY = typer.Option(False, "--no-memory", help="Temporal window only (no retrieved memory).")
TIME_MODE = typer.Option("reframed", "--time-mode", help="reframed | absolute RoPE time indices.")
EMA = typer.Option(True, "--ema/--no-ema", help="Use the EMA weights when the checkpoint has them.")
DEVICE = typer.Option("auto", "--device", help="auto | cpu | cuda.")


def run_model_command(run: Callable[..., Any], opts: dict[str, Any]) -> None:
    """``run(opts, echo=typer.echo)`` with ``opts["memory"]`` from ``--no-memory``; a bad input (missing
    file, bad value) prints ``error: ...`` and exits with status 2."""
    opts["memory"] = not opts["no_memory"]
    try:
        run(opts, echo=typer.echo)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
