"""``wp train``: train the WorldPlay DiT (wpmodel.train) on shards, in this process, under torchrun
(``--nproc N``) or on Ray Train (``--ray --workers N``)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "train_tiny.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def option_overrides(sets: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Dotted overrides: ``--set key=value`` items, then the command's options that were given."""
    from wpmodel.train.run import parse_sets

    over: dict[str, Any] = parse_sets(sets)
    over.update({key: value for key, value in options.items() if value is not None})
    return over


def build_config(
    config: Path,
    shards: str | None,
    val_shards: str | None,
    out: Path | None,
    steps: int | None,
    device: str | None,
    sets: list[str],
) -> Any:
    """The TrainConfig of ``config`` with the command-line options (and ``--set key=value``) applied."""
    from wpmodel.train.config import load_train_config

    over = option_overrides(sets, {"data.shards": shards, "data.val_shards": val_shards, "train.steps": steps,
                                   "train.out_dir": str(out) if out else None, "train.device": device})  # fmt: skip
    cfg = load_train_config(config, over)
    if cfg.data.shards is None:
        raise ValueError(f"{config}: no data.shards; pass --shards DIR|PATTERN|INDEX")
    return cfg


def run_torchrun(cfg: Any, nproc: int, module: str = "wpmodel.train.run", extra: dict | None = None) -> int:
    """Write the resolved config (plus ``extra`` sections' keys) next to the outputs and run ``nproc``
    processes of ``module`` (``wpmodel.train.run``, or ``wpmodel.distill.run`` for ``wp distill``)."""
    import yaml

    from manifests.atomic import atomic_write_text
    from pipelines.train.ray_launcher import portable_config

    d = portable_config(cfg)
    for section, values in (extra or {}).items():
        d[section].update(values)
    path = Path(d["train"]["out_dir"]) / "launch_config.yaml"
    atomic_write_text(path, yaml.safe_dump(d, sort_keys=False))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc),
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", module, "--config", str(path)]  # fmt: skip
    typer.echo("running: " + " ".join(cmd))
    return subprocess.run(cmd, check=False).returncode


def command(
    config: Path = typer.Option(
        DEFAULT_CONFIG, "--config", "-c", help="TrainConfig YAML (default: train_tiny)."
    ),
    shards: str | None = typer.Option(None, "--shards", help="Shard folder, brace pattern or wids index."),
    val_shards: str | None = typer.Option(None, "--val-shards", help="Held-out shards for the val loss."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (checkpoints/, tb/, samples/)."),
    steps: int | None = typer.Option(None, "--steps", help="Total optimisation steps (train.steps)."),
    device: str | None = typer.Option(None, "--device", help="auto | cpu | cuda (single process)."),
    sets: list[str] = typer.Option([], "--set", help="Override any key: --set optim.lr=1e-4 (repeatable)."),
    nproc: int | None = typer.Option(None, "--nproc", help="Spawn torchrun with N processes (DDP/FSDP)."),
    ray: bool = typer.Option(False, "--ray", help="Run on Ray Train (embedded 127.0.0.1 Ray or --address)."),
    workers: int = typer.Option(2, "--workers", help="Ray Train workers (with --ray)."),
    gpu: bool = typer.Option(False, "--gpu", help="One GPU per Ray Train worker (with --ray)."),
    address: str | None = typer.Option(None, "--address", help="Ray cluster address (with --ray)."),
) -> None:
    """Train the WorldPlay DiT; rerunning with the same --out resumes from its newest checkpoint."""
    if ray and nproc:
        typer.echo("error: --ray and --nproc are exclusive", err=True)
        raise typer.Exit(2)
    try:
        cfg = build_config(config, shards, val_shards, out, steps, device, sets)
        if nproc:
            raise typer.Exit(run_torchrun(cfg, nproc))
        if ray:
            from pipelines.train.ray_launcher import launch_ray_train

            res = launch_ray_train(cfg, workers, gpu, address=address)
            if res.error:
                typer.echo(f"error: Ray Train failed: {res.error}", err=True)
                raise typer.Exit(1)
            typer.echo(f"Ray Train finished: {res.metrics}; checkpoints in {cfg.train.out_dir}/checkpoints")
            return
        from wpmodel.train.trainer import run_training

        result = run_training(cfg, log=typer.echo)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"trained to step {result.step}; checkpoint: {result.checkpoint}")
