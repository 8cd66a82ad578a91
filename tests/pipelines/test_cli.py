"""`wp --help` and `--help` on every subcommand, through the real click command tree."""

from __future__ import annotations

import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from pipelines.cli import app


def _all_command_paths(cmd, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    commands = getattr(cmd, "commands", None)  # groups (typer ships its own click copy)
    if commands:
        for name, sub in commands.items():
            paths += _all_command_paths(sub, prefix + (name,))
    return paths


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _all_command_paths(root)
    assert ("manifest", "stats") in paths and ("demo",) in paths and ("ingest",) in paths
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output, path


def test_console_script_help_is_fast_and_light() -> None:
    """`wp --help` must not import ray or torch (heavy imports stay inside commands)."""
    code = "import sys, pipelines.cli; print('ray' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout
