"""``wp generate``: stream a video from a trained WorldPlay DiT -- a first frame, a caption and a key
script or camera path in, chunk after chunk out, written to mp4 as each chunk finishes.

The camera schedule: a key script (``"W*16 D*8"``, ``wpdata.actions.parse_key_script``) becomes a
path with ``trajectory_from_labels`` (one label per latent step); a camera-path file (TUM, 8 columns,
or KITTI, 12 columns) is taken as per-video-frame poses, latent i at frame 4i, labelled with
``latent_actions``. Either way latent 0 is the first frame's camera. The first chunk is the given
frame standing still (``wpmodel.generate.first_chunk_latents``: 4 latents at latent 0's pose, label 0);
the path's latents 1, 2, ... follow as the generated chunks, the last chunk padded by standing still.
Intrinsics: square pixels, principal point at the centre, ``--hfov`` degrees.
A caption of "" is the zero embedding (what the trainer's caption drop feeds), without loading the
text model.
``open_session`` (model, VAE, first frame, caption) and ``stream_to_mp4`` (the chunk loop, latencies,
mp4) are shared with ``wp play`` (``pipelines.commands.play``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import typer

from pipelines.commands import model_options as mo

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}


def read_camera_path(path: Path) -> np.ndarray:
    """Per-frame c2w [T, 4, 4] of a TUM (8 columns) or KITTI (12 columns) file."""
    from wpdata.geometry import read_kitti, read_tum

    if not path.is_file():
        raise FileNotFoundError(f"{path}: camera path file does not exist")
    rows = [ln.split() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    cols = len(rows[0]) if rows else 0
    if cols == 8:
        return read_tum(path)[1]
    if cols == 12:
        return read_kitti(path)
    raise ValueError(f"{path}: {cols} columns; expected a TUM (8) or KITTI (12) camera path")


def camera_schedule(
    keys: str | None, path: Path | None, chunk: int, chunks: int | None, step_m: float = 0.08
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first chunk c2w [chunk, 4, 4], actions [M] int64, c2w [M, 4, 4]) with M = chunk * n_chunks."""
    from wpdata.actions import latent_actions, parse_key_script, trajectory_from_labels

    if (keys is None) == (path is None):
        raise ValueError("give exactly one of --keys SCRIPT or --path CAMERA_FILE")
    if keys is not None:
        labels = parse_key_script(keys)
        if not labels:
            raise ValueError(f"key script {keys!r} has no steps")
        frames = trajectory_from_labels(labels, step_m=step_m)  # [1 + 4 n, 4, 4]
        acts = np.array([0, *labels], dtype=np.int64)
    else:
        frames = read_camera_path(path)
        acts = latent_actions(frames).astype(np.int64)
    c2w = frames[::4]  # [n + 1, 4, 4] latent i uses frame 4i
    if len(c2w) < 2:
        raise ValueError(
            f"{path or keys!r}: the path has no latent after the first frame (needs >= 5 frames)"
        )
    n_chunks = -(-(len(c2w) - 1) // chunk) if chunks is None else int(chunks)
    if n_chunks < 1:
        raise ValueError(f"--chunks must be >= 1, got {chunks}")
    M = n_chunks * chunk
    rest_c2w, rest_acts = c2w[1 : 1 + M], acts[1 : 1 + M]
    pad = M - len(rest_c2w)  # stand still at the last pose
    rest_c2w = np.concatenate([rest_c2w, np.repeat(rest_c2w[-1:], pad, axis=0)])
    rest_acts = np.concatenate([rest_acts, np.zeros(pad, dtype=np.int64)])
    return np.repeat(c2w[:1], chunk, axis=0), rest_acts, rest_c2w


def read_first_frame(path: Path, size: tuple[int, int] | None, multiple: int) -> np.ndarray:
    """RGB [H, W, 3] uint8 of an image or a video's first frame, resized to ``size`` (W, H) or down to
    multiples of ``multiple``."""
    import cv2

    from wpdata.video import decode_frames
    from wpdata.video.images import read_image

    if not path.is_file():
        raise FileNotFoundError(f"{path}: first frame file does not exist")
    if path.suffix.lower() in VIDEO_SUFFIXES:
        frames = decode_frames(path, end=1)
        if len(frames) == 0:
            raise ValueError(f"{path}: the video has no frame")
        img = frames[0]
    else:
        img = read_image(path)
    h, w = img.shape[:2]
    W, H = size if size is not None else (w // multiple * multiple, h // multiple * multiple)
    if W < multiple or H < multiple or W % multiple or H % multiple:
        raise ValueError(f"{path}: size {W}x{H} must be positive multiples of {multiple}")
    return img if (W, H) == (w, h) else cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)


def embed_caption(text: str, dim: int) -> np.ndarray:
    """[1, dim] float32: the caption embedded with TextEmbedder, or zeros for an empty caption."""
    if not text.strip():
        return np.zeros((1, dim), dtype=np.float32)
    from wpdata.captions.embed import TextEmbedder

    emb = TextEmbedder().embed([text])
    if emb.shape[1] != dim:
        raise ValueError(f"caption embedding has {emb.shape[1]} dims, the model expects {dim}")
    return emb


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise ValueError(f"--size must be WIDTHxHEIGHT, got {text!r}") from exc
    return w, h


@dataclass
class Session:
    """A loaded model ready to stream: generator, VAE, first frame, its intrinsics and the caption."""

    gen: Any  # StreamingGenerator
    vae: Any
    frame: np.ndarray  # [H, W, 3] uint8 first frame at the model's size
    K: np.ndarray  # [3, 3] pixel intrinsics
    caption: Any  # [1, caption_dim] tensor
    chunk: int  # latents per chunk
    checkpoint: Path
    device: str


def open_session(
    opts: dict[str, Any], frame: np.ndarray | None = None, K: np.ndarray | None = None
) -> Session:
    """Load the DiT and VAE of ``opts`` and prepare the first frame (``opts["first_frame"]`` unless
    ``frame`` is given, resized to the model's size; K scaled with it, else square pixels at ``hfov``)."""
    import cv2
    import torch

    from wpdata.geometry import scale_K
    from wpdata.synth.cameras import intrinsics
    from wpmodel.generate import StreamingGenerator
    from wpmodel.generate.load import load_dit
    from wpmodel.vae import load_vae

    dev = opts["device"]
    dev = ("cuda" if torch.cuda.is_available() else "cpu") if dev == "auto" else dev
    model, cfg, ckpt = load_dit(opts["checkpoint"], opts["config"], opts["ema"], dev)
    vae = load_vae(opts["vae"], dev).eval()
    dc = model.config
    size = _size(opts["size"]) or (tuple(cfg.data.size) if cfg.data.size else None)
    multiple = vae.spatial_compression * dc.patch_size[1]
    if frame is None:
        frame = read_first_frame(opts["first_frame"], size, multiple)
    else:
        h, w = frame.shape[:2]
        W, H = size if size is not None else (w // multiple * multiple, h // multiple * multiple)
        if W < multiple or H < multiple or W % multiple or H % multiple:
            raise ValueError(f"first frame size {W}x{H} must be positive multiples of {multiple}")
        if K is not None:
            K = scale_K(np.asarray(K, np.float64), W / w, H / h)
        frame = frame if (W, H) == (w, h) else cv2.resize(frame, (W, H), interpolation=cv2.INTER_AREA)
    H, W = frame.shape[:2]
    K = intrinsics(W, H, opts["hfov"]) if K is None else np.asarray(K, np.float64)
    caption = torch.from_numpy(embed_caption(opts["caption"], dc.caption_dim))
    gen = StreamingGenerator(
        model, vae, steps=opts["steps"], shift=opts["shift"], memory=opts["memory"],
        time_mode=opts["time_mode"], device=dev, seed=opts["seed"],
    )  # fmt: skip
    return Session(gen, vae, frame, K, caption, int(dc.chunk_latents), ckpt, dev)


def stream_to_mp4(
    s: Session,
    first_c2w: np.ndarray,  # [chunk, 4, 4]
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],  # (actions [chunk], c2w [chunk, 4, 4]) per chunk
    out: Path,
    fps: float,
    echo: Any = print,
) -> dict[str, Any]:
    """Generate chunk after chunk, writing each to the mp4 as it finishes; per-chunk latency and
    frames/s printed; returns a summary dict."""
    from wpmodel.generate import Mp4Stream, StreamingDecoder, first_chunk_latents

    gen, decoder = s.gen, StreamingDecoder(s.vae)
    t0 = time.perf_counter()
    with Mp4Stream(out, fps) as mp4:
        first = first_chunk_latents(s.vae, s.frame, s.chunk, s.device)
        gen.start(first, s.caption, first_c2w, s.K)
        n_first = len(first_frames := decoder.decode(first))
        mp4.write(first_frames)
        for k, (acts, c2w) in enumerate(chunks, start=1):
            lat = gen.next_chunk(acts, c2w)
            t_dec = time.perf_counter()
            frames = decoder.decode(lat)
            mp4.write(frames)
            rec = gen.records[-1]
            echo(
                f"chunk {k}: {1000 * rec.latency_s:.1f} ms generate ({1000 * rec.retrieval_s:.1f} ms retrieval), "
                f"{1000 * (time.perf_counter() - t_dec):.1f} ms decode+write, {len(frames)} frames "
                f"({len(frames) / rec.latency_s:.1f} frames/s), "
                f"context {len(rec.plan.context)} latents, retrieved {list(rec.plan.retrieved)}"
            )
    total = time.perf_counter() - t0
    gen_s = sum(gen.latencies)
    new_frames = mp4.num_frames - n_first  # frames of the generated chunks
    summary = {
        "out": str(out), "frames": mp4.num_frames, "chunks": len(gen.records), "seconds": total,
        "mean_chunk_ms": 1000 * gen_s / max(len(gen.records), 1),
        "generated_fps": new_frames / gen_s if gen_s else float("nan"), "end_to_end_fps": new_frames / total,
    }  # fmt: skip
    echo(
        f"wrote {summary['out']}: {summary['frames']} frames; {summary['chunks']} chunks, "
        f"{summary['mean_chunk_ms']:.1f} ms per chunk; {summary['generated_fps']:.1f} frames/s generating, "
        f"{summary['end_to_end_fps']:.1f} frames/s end to end (decode and mp4 included)"
    )
    return summary


def generate_video(opts: dict[str, Any], echo: Any = print) -> dict[str, Any]:
    """Run the whole generation for the command's options; returns a summary dict."""
    s = open_session(opts)
    H, W = s.frame.shape[:2]
    first_c2w, actions, c2w = camera_schedule(opts["keys"], opts["path"], s.chunk, opts["chunks"])
    echo(f"checkpoint {s.checkpoint}; {W}x{H}; {len(actions) // s.chunk} chunks; memory {s.gen.memory}")
    c = s.chunk
    chunks = ((actions[i : i + c], c2w[i : i + c]) for i in range(0, len(actions), c))
    return stream_to_mp4(s, first_c2w, chunks, opts["out"], opts["fps"], echo)


def command(
    checkpoint: Path = mo.CHECKPOINT,
    config: Path | None = mo.CONFIG,
    vae: Path = typer.Option(..., "--vae", help="Saved VideoVAE folder (wp train-vae)."),
    first_frame: Path = typer.Option(
        ..., "--first-frame", help="Image, or a video whose first frame is used."
    ),
    caption: str = mo.CAPTION,
    keys: str | None = mo.KEYS,
    path: Path | None = mo.PATH,
    out: Path = mo.OUT_MP4,
    chunks: int | None = mo.CHUNKS,
    steps: int = typer.Option(8, "--steps", help="Euler steps per chunk."),
    shift: float = mo.SHIFT,
    no_memory: bool = mo.NO_MEMORY,
    time_mode: str = mo.TIME_MODE,
    size: str | None = typer.Option(
        None, "--size", help="WIDTHxHEIGHT (default: config data.size or the frame's)."
    ),
    hfov: float = typer.Option(60.0, "--hfov", help="Horizontal field of view of the camera, degrees."),
    fps: float = typer.Option(24.0, "--fps", help="Frame rate of the mp4."),
    seed: int = typer.Option(0, "--seed", help="Noise seed (same seed, same video)."),
    ema: bool = mo.EMA,
    device: str = mo.DEVICE,
) -> None:
    """Generate a video chunk by chunk with memory and write it to mp4 as it goes."""
    mo.run_model_command(generate_video, dict(locals()))
