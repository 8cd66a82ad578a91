"""``wp eval``: the paper's Table 2 metrics of a WorldPlay checkpoint on held-out shards.

For each held-out clip (mp4 shards: frames decoded, the first chunk encoded with the VAE; latent shards
with ``--latents``: the stored latents, ground-truth frames decoded from them) the protocols of
``wpmodel.eval.protocols`` run (short-term continuation; long-term out-and-back of >= 4 context
windows). Generated videos are written to ``<out>/videos/``; PSNR / SSIM (and LPIPS, only with
``--lpips-weights``) compare them with the ground truth; the cameras of the generated frames are
estimated with ``wpdata.poses.estimate_poses`` (pycolmap, the clip's K held fixed) and compared with
the commanded ones (Rdist / Tdist); when SfM cannot reconstruct a generated video the metric is
"not computed: <reason>". Long-term actions come from the trajectory's poses by the release rule
(``wpdata.actions.poses_to_labels``). Output: report.md, report.csv, report.json, one PNG per metric.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import typer

from pipelines.commands import model_options as mo

PROTOCOLS = ("short", "long")


def latent_labels(c2w: np.ndarray) -> np.ndarray:
    """Release-rule action label per latent of per-latent poses [L, 4, 4] (latent 0 -> 0): [L] int64."""
    from wpdata.actions import poses_to_labels, relative_poses

    labels = poses_to_labels(relative_poses(np.asarray(c2w, np.float64), 1)).astype(np.int64)
    labels[0] = 0
    return labels


def load_clips(
    opts: dict[str, Any], vae: Any, chunk: int, multiple: int, caption_dim: int, size: Any
) -> Iterator[tuple[str, Any, str]]:
    """Yield (key, EvalClip or None, reason) of the held-out samples (at most ``max_clips`` usable)."""
    import torch

    from wpmodel.data import SampleConfig, SampleError, iter_samples, parse_sample, resolve_shards
    from wpmodel.eval import EvalClip, encode_clip
    from wpmodel.generate import StreamingDecoder
    from wpmodel.train.data import shard_source

    urls = resolve_shards(shard_source(opts["shards"]))
    cfg = SampleConfig(window_latents=None, latents=opts["latents"], random_window=False, size=size)
    used = 0
    for raw in iter_samples(urls):
        if used >= opts["max_clips"]:
            return
        key = str(raw.get("__key__"))
        raw = {k: v for k, v in raw.items() if k != "__offsets__"}  # latents as tensors, not file slabs
        try:
            s = parse_sample(raw, cfg)
        except SampleError as exc:
            yield key, None, str(exc)
            continue
        L = len(s.actions)
        if L < 2 * chunk:
            yield key, None, f"{L} latents; the protocols need at least {2 * chunk}"
            continue
        if s.has_caption and s.caption_embedding.numel() != caption_dim:
            yield (
                key,
                None,
                f"caption embedding has {s.caption_embedding.numel()} dims, the model {caption_dim}",
            )
            continue
        cap = s.caption_embedding[None] if s.has_caption else torch.zeros(1, caption_dim)
        if opts["latents"]:
            lat = s.latents.float()[None]  # [1, L, C, h, w]
            frames = StreamingDecoder(vae).decode(lat)
        else:
            frames = s.frames  # [1 + 4 (L - 1), H, W, 3]
            H, W = frames.shape[1:3]
            if H % multiple or W % multiple:
                yield key, None, f"frames {W}x{H} are not multiples of {multiple} (set --size)"
                continue
            lat = encode_clip(vae, frames[: 1 + 4 * (chunk - 1)])  # [1, chunk, C, h, w]
        c2w = s.c2w.numpy().astype(np.float64)[::4]  # [L, 4, 4] latent i at frame 4 i
        clip = EvalClip(key, frames, c2w, s.K[0].numpy().astype(np.float64), s.actions.numpy(), cap, lat)
        used += 1
        yield key, clip, ""


def camera_errors(video: Path, K: np.ndarray, commanded: np.ndarray, opts: dict[str, Any]) -> tuple[Any, str]:
    """(PoseMetrics of the video's estimated cameras vs the commanded per-latent poses, "") or (None, reason)."""
    from wpdata.poses import PoseEstimationError, SfMConfig, estimate_poses
    from wpmodel.eval import pose_metrics

    if opts["no_poses"]:
        return None, "pose estimation switched off (--no-poses)"
    try:
        track = estimate_poses(video, SfMConfig(max_frames=opts["sfm_frames"], sample_fps=None), K=K)
    except PoseEstimationError as exc:
        return None, f"SfM failed on the generated frames ({str(exc).replace(str(video) + ': ', '')})"
    est = track.c2w[::4][: len(commanded)]  # [L, 4, 4] the last frame of each latent
    return pose_metrics(commanded, est), ""


def _fmt(v: float | None) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:.3f}"


def evaluate_clip(
    model: Any, vae: Any, clip: Any, proto: str, lpips: Any, out: Path, dev: str, opts: dict[str, Any]
) -> dict[str, Any]:
    """Run one protocol on one clip: its video under ``out/videos``, per-clip means, notes, curves."""
    from wpmodel.eval import frame_scores, long_term, short_term
    from wpmodel.generate import Mp4Stream, StreamingGenerator

    gen = StreamingGenerator(model, vae, steps=opts["steps"], shift=opts["shift"], memory=opts["memory"],
                             time_mode=opts["time_mode"], device=dev, seed=opts["seed"])  # fmt: skip
    video = out / "videos" / f"{clip.key}.{proto}.mp4"
    t0 = time.perf_counter()
    with Mp4Stream(video, opts["fps"]) as mp4:
        if proto == "short":
            run = short_term(gen, vae, clip, opts["short_latents"], sink=mp4.write)
        else:
            run = long_term(
                gen, vae, clip, latent_labels, opts["long_factor"], mp4.write, opts["long_leg_latents"]
            )
    scores = frame_scores(run, clip.frames, lpips)
    cam, why = camera_errors(video, clip.K, run.commanded_c2w, opts)
    lat_frames = 4 * np.arange(len(run.commanded_c2w))  # [L] video frame of each latent
    f = scores["frame"]
    return {
        "clip": clip.key, "protocol": run.protocol, "video": str(video), "frames": len(run.frames),
        "compared_frames": len(run.gen_index), "seconds": time.perf_counter() - t0,
        "mean_chunk_ms": 1000 * float(np.mean(run.latencies)),
        "psnr": float(np.mean(scores["psnr"])), "ssim": float(np.mean(scores["ssim"])),
        "lpips": None if scores["lpips"] is None else float(np.mean(scores["lpips"])),
        "rdist": None if cam is None else cam.rdist, "tdist": None if cam is None else cam.tdist,
        "notes": {"rdist": why, "tdist": why or (cam.note if cam is not None else "")},
        "curves": {"psnr": (f, scores["psnr"]), "ssim": (f, scores["ssim"]), "lpips": (f, scores["lpips"]),
                   "rdist": (lat_frames, None if cam is None else cam.rdist_per_frame),
                   "tdist": (lat_frames, None if cam is None else cam.tdist_per_frame)},
    }  # fmt: skip


def _summaries(records: list[dict[str, Any]], lpips_note: str) -> list[Any]:
    """One ProtocolSummary per protocol: means over clips, curves averaged over clips per frame."""
    from wpmodel.eval import METRICS, ProtocolSummary

    out = []
    for proto in dict.fromkeys(r["protocol"] for r in records):
        rs = [r for r in records if r["protocol"] == proto]
        values, notes, curves = {}, {}, {}
        for m in METRICS:
            have = [r for r in rs if r[m] is not None and np.isfinite(r[m])]
            values[m] = float(np.mean([r[m] for r in have])) if have else None
            if not have:
                notes[m] = lpips_note if m == "lpips" else (rs[0]["notes"].get(m) or "no value")
            elif len(have) < len(rs):
                notes[m] = f"computed on {len(have)} of {len(rs)} clips"
            acc: dict[int, list[float]] = defaultdict(list)
            for r in have:
                for f, v in zip(*r["curves"][m], strict=True):
                    acc[int(f)].append(float(v))
            if acc:
                fr = np.array(sorted(acc))
                curves[m] = (fr, np.array([np.mean(acc[f]) for f in fr]))
        out.append(ProtocolSummary(proto, len(rs), values, notes, curves))
    return out


def run_eval(opts: dict[str, Any], echo: Any = print) -> dict[str, Any]:
    """Evaluate the checkpoint on the held-out shards; writes the report; returns its paths and records."""
    import torch

    from wpmodel.eval import load_lpips, write_report
    from wpmodel.generate.load import load_dit
    from wpmodel.vae import load_vae

    protos = (
        [p.strip() for p in opts["protocol"].split(",")] if opts["protocol"] != "both" else list(PROTOCOLS)
    )
    if not protos or any(p not in PROTOCOLS for p in protos):
        raise ValueError(f"--protocol must be short, long or both, got {opts['protocol']!r}")
    dev = opts["device"]
    dev = ("cuda" if torch.cuda.is_available() else "cpu") if dev == "auto" else dev
    model, cfg, ckpt = load_dit(opts["checkpoint"], opts["config"], opts["ema"], dev)
    if opts["shards"] is None:
        opts["shards"] = cfg.data.val_shards
        if opts["shards"] is None:
            raise ValueError("no --shards given and the run's config has no data.val_shards")
    vae = load_vae(opts["vae"], dev).eval()
    lpips = load_lpips(opts["lpips_weights"], dev)
    lpips_note = "" if lpips else "no --lpips-weights given (no LPIPS weights are bundled or downloaded)"
    dc = model.config
    size = tuple(int(v) for v in opts["size"].lower().split("x")) if opts["size"] else cfg.data.size
    out = Path(opts["out"])
    records, skipped = [], []
    echo(f"checkpoint {ckpt}; protocols {protos}; LPIPS {'on' if lpips else 'not computed'}")
    clips = load_clips(opts, vae, dc.chunk_latents, vae.spatial_compression * dc.patch_size[1],
                       dc.caption_dim, size)  # fmt: skip
    for key, clip, reason in clips:
        if clip is None:
            skipped.append({"clip": key, "reason": reason})
            echo(f"skip {key}: {reason}")
            continue
        for proto in protos:
            rec = evaluate_clip(model, vae, clip, proto, lpips, out, dev, opts)
            records.append(rec)
            why = rec["notes"]["rdist"]
            echo(
                f"{key} {rec['protocol']}: PSNR {rec['psnr']:.2f} SSIM {rec['ssim']:.3f} "
                f"LPIPS {_fmt(rec['lpips'])} Rdist {_fmt(rec['rdist'])} Tdist {_fmt(rec['tdist'])} "
                f"({rec['frames']} frames, {rec['mean_chunk_ms']:.1f} ms per chunk){'; ' + why if why else ''}"
            )
    if not records:
        raise ValueError(f"no usable held-out clip in {opts['shards']} ({len(skipped)} skipped)")
    summaries = _summaries(records, lpips_note)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in opts.items()}
    per_clip = [{k: v for k, v in r.items() if k != "curves"} for r in records]
    paths = write_report(out, summaries, {"checkpoint": str(ckpt), "settings": settings, "clips": per_clip,
                                          "skipped": skipped})  # fmt: skip
    echo(f"wrote {paths['md']}, {paths['csv']}, {paths['json']} and {len(paths) - 3} plots")
    return {"paths": paths, "records": records, "skipped": skipped, "summaries": summaries}


def command(
    checkpoint: Path = mo.CHECKPOINT,
    config: Path | None = mo.CONFIG,
    vae: Path = typer.Option(..., "--vae", help="Saved VideoVAE folder (decodes generated latents)."),
    shards: str | None = typer.Option(
        None,
        "--shards",
        help="Held-out shards: folder, brace pattern or wids index (default: the run's data.val_shards).",
    ),  # fmt: skip
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    protocol: str = typer.Option("both", "--protocol", help="short | long | both."),
    lpips_weights: Path | None = typer.Option(
        None,
        "--lpips-weights",
        help="Local LPIPS weights (file or folder); without it LPIPS is reported as not computed.",
    ),  # fmt: skip
    latents: bool = typer.Option(
        False, "--latents", help="Read the shards' latents instead of decoding mp4."
    ),
    max_clips: int = typer.Option(8, "--max-clips", help="Held-out clips to evaluate."),
    short_latents: int = typer.Option(
        16, "--short-latents", help="Short-term length in latents (16 = 61 frames)."
    ),
    long_factor: float = typer.Option(
        4.0, "--long-factor", help="Long-term length in context windows (>= 4)."
    ),
    long_leg_latents: int | None = typer.Option(
        None, "--long-leg-latents", help="Long-term out leg: the clip's first N latents (default: all)."
    ),
    steps: int = typer.Option(4, "--steps", help="Euler steps per chunk (4 for a distilled student)."),
    shift: float = mo.SHIFT,
    no_memory: bool = mo.NO_MEMORY,
    time_mode: str = mo.TIME_MODE,
    size: str | None = typer.Option(
        None, "--size", help="WIDTHxHEIGHT to resize clips to (default: config data.size)."
    ),
    no_poses: bool = typer.Option(
        False, "--no-poses", help="Skip pose estimation (Rdist / Tdist not computed)."
    ),
    sfm_frames: int = typer.Option(48, "--sfm-frames", help="Frames sampled for SfM per generated video."),
    fps: float = typer.Option(24.0, "--fps", help="Frame rate of the written videos."),
    seed: int = typer.Option(0, "--seed", help="Noise seed."),
    ema: bool = mo.EMA,
    device: str = mo.DEVICE,
) -> None:
    """Evaluate a checkpoint on held-out shards: PSNR, SSIM, LPIPS, Rdist, Tdist (short / long term)."""
    if long_factor < 4.0 and protocol != "short":
        typer.echo(f"note: --long-factor {long_factor} is below the paper's protocol (>= 4 context windows)")
    mo.run_model_command(run_eval, dict(locals()))
