"""Per-chunk latency and frames/s of ``wp play``'s streaming loop (``stream_to_mp4``: generate with
memory, decode, write mp4) for few-step (distilled student) vs many-step (teacher) sampling.

Random woken weights (speed does not depend on training); the baseline is ``--baseline-steps``
(8, ``wp generate``'s default); the ratio is baseline ms per chunk / ms per chunk.

    python benchmarks/play_latency.py [--preset tiny] [--size 128] [--chunks 6] [--steps 4 2 1] [--threads 1]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from pipelines.commands.generate import Session, camera_schedule, stream_to_mp4
from wpdata.synth import intrinsics
from wpmodel.dit import DiTConfig, WorldPlayDiT
from wpmodel.generate import StreamingGenerator
from wpmodel.vae import VAEConfig, VideoVAE


def woken_model(preset: str, latent_channels: int) -> WorldPlayDiT:
    """A DiT of the preset with its zero-initialised layers given random weights."""
    torch.manual_seed(0)
    model = WorldPlayDiT(DiTConfig.preset(preset, latent_channels=latent_channels)).eval()
    with torch.no_grad():
        for p in model.parameters():
            if bool((p == 0).all()):
                p.normal_(0.0, 0.02)
    return model


def run(model: WorldPlayDiT, vae: VideoVAE, steps: int, size: int, chunks: int, out: Path) -> dict:
    """``stream_to_mp4`` summary of ``chunks`` chunks of W at ``steps`` Euler steps."""
    gen = StreamingGenerator(model, vae, steps=steps, device="cpu", seed=0)
    frame = np.random.default_rng(0).integers(0, 255, (size, size, 3)).astype(np.uint8)
    caption = torch.zeros(1, model.config.caption_dim)
    c = model.config.chunk_latents
    s = Session(gen, vae, frame, intrinsics(size, size, 60.0), caption, c, Path("-"), "cpu")
    first, acts, c2w = camera_schedule(f"W*{c * chunks}", None, c, None)
    pieces = ((acts[i : i + c], c2w[i : i + c]) for i in range(0, len(acts), c))
    return stream_to_mp4(s, first, pieces, out / f"s{steps}.mp4", 24.0, echo=lambda *_: None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--size", type=int, default=128, help="frame side in pixels (latents are size / 8)")
    ap.add_argument("--chunks", type=int, default=6)
    ap.add_argument("--steps", type=int, nargs="+", default=[4, 2, 1])
    ap.add_argument("--baseline-steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)  # 1: the 2 shared cores are busy
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vae = VideoVAE(VAEConfig(latent_channels=16, base_channels=16, norm_groups=4)).eval()
    model = woken_model(args.preset, 16)
    with tempfile.TemporaryDirectory() as tmp:
        base = run(model, vae, args.baseline_steps, args.size, args.chunks, Path(tmp))
        rows = [(args.baseline_steps, base)] + [
            (s, run(model, vae, s, args.size, args.chunks, Path(tmp))) for s in args.steps
        ]
    print(f"preset {args.preset}, {args.size}x{args.size} frames, {args.chunks} chunks of 16 frames, "
          f"{args.threads} thread(s), CPU")  # fmt: skip
    print(
        f"{'steps':>5} | {'ms/chunk':>9} | {'gen frames/s':>12} | {'end-to-end frames/s':>19} | vs {args.baseline_steps} steps"
    )
    for steps, r in rows:
        print(f"{steps:>5} | {r['mean_chunk_ms']:>9.1f} | {r['generated_fps']:>12.1f} | {r['end_to_end_fps']:>19.1f} | "
              f"{base['mean_chunk_ms'] / r['mean_chunk_ms']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
