"""``wp distill``: Context Forcing distillation (wpmodel.distill) of a trained WorldPlay run into a 4-step
student, in this process or under torchrun (``--nproc N``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pipelines.commands.train import option_overrides, run_torchrun

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "distill_tiny.yaml"


def build_config(
    config: Path,
    teacher: str | None,
    shards: str | None,
    out: Path | None,
    steps: int | None,
    device: str | None,
    sets: list[str],
) -> Any:
    """The DistillConfig of ``config`` with the command-line options (and ``--set key=value``) applied."""
    from wpmodel.distill.config import load_distill_config

    over = option_overrides(sets, {"teacher.path": teacher, "data.shards": shards, "train.steps": steps,
                                   "train.out_dir": str(out) if out else None, "train.device": device})  # fmt: skip
    cfg = load_distill_config(config, over)
    if cfg.data.shards is None:
        raise ValueError(f"{config}: no data.shards; pass --shards DIR|PATTERN|INDEX")
    if cfg.teacher.path is None:
        raise ValueError(f"{config}: no teacher.path; pass --teacher RUN_DIR (a `wp train` output)")
    return cfg


def command(
    config: Path = typer.Option(
        DEFAULT_CONFIG, "--config", "-c", help="DistillConfig YAML (default: distill_tiny)."
    ),
    teacher: str | None = typer.Option(None, "--teacher", "-t", help="`wp train` run or checkpoint folder."),
    shards: str | None = typer.Option(None, "--shards", help="Shard folder, brace pattern or wids index."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (checkpoints/, tb/, samples/)."),
    steps: int | None = typer.Option(None, "--steps", help="Generator updates (train.steps)."),
    device: str | None = typer.Option(None, "--device", help="auto | cpu | cuda (single process)."),
    sets: list[str] = typer.Option([], "--set", help="Override any key: --set distill.guidance_scale=3"),
    nproc: int | None = typer.Option(None, "--nproc", help="Spawn torchrun with N processes."),
) -> None:
    """Distil a WorldPlay run into a few-step student (Context Forcing); rerunning with the same --out resumes."""
    try:
        cfg = build_config(config, teacher, shards, out, steps, device, sets)
        if nproc:
            teacher_path = {"path": str(Path(cfg.teacher.path).resolve())}
            raise typer.Exit(run_torchrun(cfg, nproc, "wpmodel.distill.run", {"teacher": teacher_path}))
        from wpmodel.distill.trainer import run_distill

        result = run_distill(cfg, log=typer.echo)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"distilled to step {result.step}; checkpoint: {result.checkpoint}")
