"""The `wp` command: one typer app that registers each command module of pipelines/commands.

Command modules keep heavy imports (ray, torch, av) inside their functions so `wp --help` is instant.
"""

from __future__ import annotations

import typer

from pipelines.commands import (
    annotate,
    curate,
    demo,
    distill,
    eval,
    export,
    generate,
    ingest,
    manifest,
    play,
    shard,
    train,
    train_vae,
)

app = typer.Typer(
    name="wp",
    help="Build and curate training data for WorldPlay-style interactive video world models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(manifest.app, name="manifest", help="Inspect and validate parquet manifests.")
app.command("ingest")(ingest.command)
app.add_typer(curate.app, name="curate")
app.command("annotate")(annotate.command)
app.add_typer(export.app, name="export")
app.command("shard")(shard.command)
app.command("demo")(demo.command)
app.command("train-vae")(train_vae.command)
app.command("train")(train.command)
app.command("distill")(distill.command)
app.command("generate")(generate.command)
app.command("play")(play.command)
app.command("eval")(eval.command)


def main() -> None:
    """Entry point of the `wp` console script."""
    app()


if __name__ == "__main__":
    main()
