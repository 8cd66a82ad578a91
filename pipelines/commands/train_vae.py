"""``wp train-vae``: train the causal video VAE (wpmodel.vae) on WebDataset shards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "train_vae.yaml"


def load_sections(config: Path | None) -> dict[str, dict[str, Any]]:
    """The default YAML's sections (train, data), overridden key by key by ``config``'s."""
    from pipelines.jobs.config_io import check_sections
    from pipelines.jobs.config_io import load_sections as merged_sections

    if config is not None and not config.is_file():
        raise FileNotFoundError(f"{config}: config file does not exist")
    merged = merged_sections(DEFAULT_CONFIG, config)
    check_sections(merged, {"train", "data"})
    return merged


def shard_urls(shards: str) -> list[str] | str:
    """A folder -> its *.tar files (sorted); anything else (list file, brace pattern, wids .json) as is."""
    p = Path(shards)
    if p.is_dir():
        tars = sorted(str(t) for t in p.glob("*.tar"))
        if not tars:
            raise FileNotFoundError(f"{p}: no *.tar shards in this folder")
        return tars
    return shards


def command(
    shards: str = typer.Option(
        ..., "--shards", help="Shard folder, brace pattern (a-{000..009}.tar) or wids index."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (checkpoints/, tb/, samples/, vae/)."),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="YAML overriding pipelines/configs/train_vae.yaml (sections train, data).",
    ),
    steps: int | None = typer.Option(None, "--steps", help="Total optimisation steps (config train.steps)."),
    device: str | None = typer.Option(None, "--device", help="auto | cpu | cuda | cuda:N."),
) -> None:
    """Train the video VAE on SHARDS into OUT; rerunning resumes from OUT's newest checkpoint."""
    from wpmodel.data import make_loader
    from wpmodel.vae import TrainVAEConfig, train_vae

    try:
        sections = load_sections(config)
        train = {**sections["train"], **({"steps": steps} if steps is not None else {})}
        train |= {"device": device} if device is not None else {}
        cfg = TrainVAEConfig.from_dict(train)
        data = dict(sections["data"])
        size = data.pop("size", None)
        size = tuple(size) if size else None
        loader = make_loader(shard_urls(shards), seed=cfg.seed, size=size, **data)
        result = train_vae(cfg, loader, out, log=typer.echo)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"trained to step {result.step}; VAE: {result.vae_dir}; checkpoint: {result.checkpoint}")
    if loader.stats.num_skipped:
        typer.echo(f"skipped samples by reason: {dict(loader.stats.skipped)}")
