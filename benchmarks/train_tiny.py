"""Learning benchmark: the tiny WorldPlay DiT trained on this CPU for a fixed time on synthetic shards;
prints the held-out flow-matching loss at the start and the end (and in between).

Data: wpdata.synth worlds (street / plaza / room) walked on revisit trajectories (out_and_back, loop),
written as latents-mode shards in the documented layout (wpdata.shards.write_shard). No trained video
VAE exists in the project yet, so the "VAE" is a FIXED RANDOM PROJECTION stand-in: latent i is video
frame 4i, 8x8 pixel-unshuffled ([192, h/8, w/8]) and projected to 16 channels by a seeded Gaussian
matrix, then scaled to unit variance over the training set. It keeps the spatial layout and the
camera-dependence of the frames, which is what the DiT has to model; it is not a learned latent space.

    python benchmarks/train_tiny.py --minutes 3 [--out /tmp/<you>/train_tiny]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import safetensors.numpy
import torch

from manifests.layout import num_latents
from wpdata.actions.discretize import latent_actions
from wpdata.shards import npy_bytes, write_shard
from wpdata.synth import intrinsics, loop, make_world, out_and_back, render
from wpmodel.dit import WorldPlayDiT, count_parameters
from wpmodel.train.config import TrainConfig
from wpmodel.train.data import val_loader
from wpmodel.train.trainer import evaluate, seed_everything, train

SIZE, LAT_C, FPS = 64, 16, 24.0


def projection(seed: int = 0) -> np.ndarray:
    """The fixed random projection [16, 192] of an 8x8x3 pixel patch."""
    return np.random.default_rng(seed).normal(size=(LAT_C, 192)) / np.sqrt(192)


def encode(frames: np.ndarray, P: np.ndarray) -> np.ndarray:
    """frames [L, H, W, 3] uint8 -> latents [16, L, H/8, W/8] float32."""
    L, H, W, _ = frames.shape
    x = frames.astype(np.float32) / 127.5 - 1.0
    x = x.reshape(L, H // 8, 8, W // 8, 8, 3).transpose(0, 1, 3, 2, 4, 5).reshape(L, H // 8, W // 8, 192)
    return np.einsum("cp,lhwp->clhw", P, x).astype(np.float32)


def make_clip(seed: int, T_lat: int, P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(c2w [T, 4, 4], K [3, 3], actions [T_lat], latents [16, T_lat, 8, 8]) of one revisit walk."""
    T = 4 * (T_lat - 1) + 1
    world = make_world(seed, ("street", "plaza", "room")[seed % 3], texture_size=128)
    traj = (out_and_back, loop)[seed % 2]
    c2w = traj(world, T, FPS, seed)  # [T, 4, 4]
    K = intrinsics(SIZE, SIZE, 70.0)
    frames = np.stack(
        [render(world, c2w[4 * i], K, SIZE, SIZE)[0] for i in range(T_lat)]
    )  # latent i: frame 4i
    return c2w.astype(np.float32), K.astype(np.float32), latent_actions(c2w), encode(frames, P)


def write_shards(folder: Path, seeds: list[int], T_lat: int, P: np.ndarray, scale: float | None) -> float:
    """One shard of all clips; returns the latent scale used (1 / std of the first set)."""
    clips = [make_clip(s, T_lat, P) for s in seeds]
    if scale is None:
        scale = float(1.0 / np.std(np.concatenate([c[3].ravel() for c in clips])))
    samples = []
    for s, (c2w, K, acts, lat) in zip(seeds, clips, strict=True):
        key = f"clip{s:05d}"
        meta = {"item_id": key, "caption": "", "fps": FPS, "width": SIZE, "height": SIZE,
                "num_frames": len(c2w), "num_latents": num_latents(len(c2w)), "source": {"synth": s},
                "scores": {}, "provenance": {"vae": "random-projection stand-in"}}  # fmt: skip
        samples.append((key, {
            "c2w.npy": npy_bytes(c2w), "K.npy": npy_bytes(K), "action.npy": npy_bytes(acts.astype(np.int16)),
            "json": json.dumps(meta).encode(),
            "latent.safetensors": safetensors.numpy.save({"latent": lat * scale}),
        }))  # fmt: skip
    write_shard(folder / "shard-0000.tar", samples)
    return scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/T/train_tiny"))
    ap.add_argument("--train-clips", type=int, default=48)
    ap.add_argument("--val-clips", type=int, default=8)
    ap.add_argument("--latents", type=int, default=32, help="latent frames per clip")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core box)"
    )
    ap.add_argument("--device", default="cpu", help="cpu | cuda (bf16 autocast there)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = args.out
    P = projection()
    t0 = time.perf_counter()
    if not (out / "val" / "shard-0000.tar").is_file():
        scale = write_shards(out / "train", list(range(args.train_clips)), args.latents, P, None)
        write_shards(out / "val", list(range(10_000, 10_000 + args.val_clips)), args.latents, P, scale)
    print(f"shards ready in {time.perf_counter() - t0:.0f} s ({args.train_clips} train / {args.val_clips} val "
          f"clips of {args.latents} latents, 16x8x8 random-projection latents)")  # fmt: skip
    run = out / f"run_seed{args.seed}"
    shutil.rmtree(run, ignore_errors=True)  # a fresh run: the trainer would resume an old checkpoint
    cfg = TrainConfig.from_dict({
        "model": {"preset": "tiny", "overrides": {"latent_channels": LAT_C}},
        "data": {"shards": str(out / "train"), "val_shards": str(out / "val"), "window_latents": 24,
                 "batch_size": 4, "shuffle_buffer": 16, "val_batches": 2},
        "optim": {"lr": 3e-4, "warmup_steps": 50},
        "train": {"steps": 10, "log_every": 50, "ckpt_every": 10_000, "sample_every": 0, "val_every": 0,
                  "seed": args.seed, "out_dir": str(run), "device": args.device},
    })  # fmt: skip
    print(
        f"DiT tiny: {count_parameters(cfg.model.dit_config()) / 1e6:.2f}M params, batch 4, 24-latent windows"
    )
    val = val_loader(cfg)
    seed_everything(cfg.train.seed)
    start_loss = evaluate(WorldPlayDiT(cfg.model.dit_config()), val, cfg)
    t1 = time.perf_counter()
    train(cfg, log=None)  # warm-up chunk: measure the step time
    step_s = (time.perf_counter() - t1) / cfg.train.steps
    budget = args.minutes * 60 - (time.perf_counter() - t1)
    cfg.train.steps = cfg.train.steps + max(10, int(budget / step_s / 1.05))
    cfg.train.val_every = max(1, cfg.train.steps // 6)
    cfg.train.ckpt_every = cfg.train.steps  # resumes from the warm-up checkpoint, saves at the end
    res = train(cfg, log=None)
    print(f"{res.step} steps in {(time.perf_counter() - t1) / 60:.1f} min ({step_s * 1000:.0f} ms/step)")
    print("step  held-out flow loss")
    print(f"{0:>5}  {start_loss:.4f}")
    for s, v in sorted(res.val_losses.items()):
        print(f"{s:>5}  {v:.4f}")
    end_loss = res.val_losses[res.step]  # the trainer validates at its last step
    print(f"held-out loss: start {start_loss:.4f} -> end {end_loss:.4f} ({end_loss / start_loss - 1:+.1%})")


if __name__ == "__main__":
    main()
