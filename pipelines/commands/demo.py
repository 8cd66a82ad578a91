"""`wp demo`: synthesise a small world with exact ground truth and run every pipeline on it."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    out: Path = typer.Option(Path("demo_out"), "--out", "-o", help="Output folder (reused: reruns resume)."),
    seed: int = typer.Option(0, help="Seed of the synthetic world."),
    address: str | None = typer.Option(
        None, help="Ray cluster address; default: an embedded Ray on 127.0.0.1 (or RAY_ADDRESS)."
    ),
) -> None:
    """Synthesise a small world and run every pipeline end to end on an embedded Ray."""
    from pipelines.demo import run_demo

    run_demo(out, seed=seed, address=address)
