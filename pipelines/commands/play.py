"""``wp play``: interactive streaming generation from a (distilled) WorldPlay checkpoint.

Like ``wp generate`` (whose ``open_session`` / ``camera_schedule`` / ``stream_to_mp4`` it reuses), with
few denoising steps by default (``--steps 4``, a distilled student; any WorldPlay checkpoint works) and
two more sources: the first frame may be a shard sample's first frame (``--shard`` + ``--sample``, its
intrinsics used), and actions may be typed live (``--live``): each line of stdin is one chunk's keys
pressed together (``w``, ``w a``, ``s left``; empty = idle; ``q`` quits; end of input ends too), so it
works with a terminal or with piped input. Frames are written to the mp4 as each chunk finishes and
per-chunk latency and frames/s are printed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import typer

from pipelines.commands import model_options as mo
from pipelines.commands.generate import camera_schedule, open_session, stream_to_mp4

QUIT = {"q", "quit", "exit"}
PROMPT = "keys (w a s d, right left up down; empty = idle; q = quit)> "


def shard_first_frame(shard: Path, sample: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """(first frame [H, W, 3] uint8, its K [3, 3], sample key) of a sample of a local shard (the first
    sample when ``sample`` is None)."""
    from wpmodel.data import SampleConfig, iter_samples, parse_sample

    if not shard.is_file():
        raise FileNotFoundError(f"{shard}: shard does not exist")
    for raw in iter_samples([str(shard)]):
        if sample is None or raw["__key__"] == sample:
            s = parse_sample(raw, SampleConfig(window_latents=1, random_window=False))
            return s.frames[0], s.K[0].numpy().astype(np.float64), s.key
    raise ValueError(f"{shard}: no sample with key {sample!r}")


def live_chunks(stream: TextIO, chunk: int, echo: Any = print) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(actions [chunk], c2w [chunk, 4, 4]) per line of ``stream`` until ``q`` or end of input."""
    from wpdata.actions import parse_key_script

    script: list[str] = []
    while True:
        print(PROMPT, end="", file=sys.stderr, flush=True)
        line = stream.readline()
        if not line or line.strip().lower() in QUIT:
            return
        token = "+".join(line.split()) or "none"
        try:
            parse_key_script(token)
        except ValueError as exc:
            echo(f"ignored line {line.strip()!r}: {exc}")
            continue
        script.append(f"{token}*{chunk}")
        _, acts, c2w = camera_schedule(" ".join(script), None, chunk, None)
        yield acts[-chunk:], c2w[-chunk:]


def play(opts: dict[str, Any], stdin: TextIO | None = None, echo: Any = print) -> dict[str, Any]:
    """Run ``wp play`` for the command's options; returns the summary of ``stream_to_mp4``."""
    sources = [opts["keys"] is not None, opts["path"] is not None, bool(opts["live"])]
    if sum(sources) != 1:
        raise ValueError("give exactly one of --keys SCRIPT, --path CAMERA_FILE or --live")
    if (opts["first_frame"] is None) == (opts["shard"] is None):
        raise ValueError("give exactly one of --first-frame FILE or --shard SHARD [--sample KEY]")
    frame = K = None
    if opts["shard"] is not None:
        frame, K, key = shard_first_frame(opts["shard"], opts["sample"])
        echo(f"first frame: sample {key} of {opts['shard']}")
    s = open_session(opts, frame, K)
    H, W = s.frame.shape[:2]
    c = s.chunk
    if opts["live"]:
        first_c2w = np.repeat(np.eye(4)[None], c, axis=0)  # the key paths start at the identity
        chunks: Any = live_chunks(stdin or sys.stdin, c, echo)
        echo(f"checkpoint {s.checkpoint}; {W}x{H}; live keys, one line per chunk; memory {s.gen.memory}")
    else:
        first_c2w, acts, c2w = camera_schedule(opts["keys"], opts["path"], c, opts["chunks"])
        chunks = ((acts[i : i + c], c2w[i : i + c]) for i in range(0, len(acts), c))
        echo(f"checkpoint {s.checkpoint}; {W}x{H}; {len(acts) // c} chunks; memory {s.gen.memory}")
    return stream_to_mp4(s, first_c2w, chunks, opts["out"], opts["fps"], echo)


def command(
    checkpoint: Path = mo.CHECKPOINT,
    config: Path | None = mo.CONFIG,
    vae: Path = typer.Option(..., "--vae", help="Saved VideoVAE folder (wp train-vae)."),
    first_frame: Path | None = typer.Option(
        None, "--first-frame", help="Image, or a video whose first frame is used."
    ),
    shard: Path | None = typer.Option(
        None, "--shard", help="Take the first frame (and K) from a sample of this shard."
    ),
    sample: str | None = typer.Option(None, "--sample", help="Sample key in --shard (default: the first)."),
    caption: str = mo.CAPTION,
    keys: str | None = mo.KEYS,
    path: Path | None = mo.PATH,
    live: bool = typer.Option(
        False, "--live", help="Read keys from stdin, one line per chunk ('w a'; q quits)."
    ),
    out: Path = mo.OUT_MP4,
    chunks: int | None = mo.CHUNKS,
    steps: int = typer.Option(4, "--steps", help="Euler steps per chunk (4 for a distilled student)."),
    shift: float = mo.SHIFT,
    no_memory: bool = mo.NO_MEMORY,
    time_mode: str = mo.TIME_MODE,
    size: str | None = typer.Option(
        None, "--size", help="WIDTHxHEIGHT (default: config data.size or the frame's)."
    ),
    hfov: float = typer.Option(60.0, "--hfov", help="Horizontal field of view when K is not known, degrees."),
    fps: float = typer.Option(24.0, "--fps", help="Frame rate of the mp4."),
    seed: int = typer.Option(0, "--seed", help="Noise seed (same seed, same video)."),
    ema: bool = mo.EMA,
    device: str = mo.DEVICE,
) -> None:
    """Play a world model: stream chunks for keys, a camera path or live keys; mp4 written as it goes."""
    mo.run_model_command(play, dict(locals()))
