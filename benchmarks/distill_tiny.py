"""Distillation benchmark (issue 8): return-leg PSNR and SSIM of the tiny WorldPlay teacher (8 and 4 Euler steps)
and of 4-step students distilled from it with Context Forcing, with and without context alignment.

Data, teacher and evaluation are ``memory_effect.py``'s (wpdata.synth revisit scenes, train_tiny's
random-projection stand-in VAE, return-leg PSNR of latents decoded through its pseudo-inverse, memory
``fov``, reframed time indices): the teacher is its model ``R`` trained for ``--teacher-minutes``. Each
student is ``wp distill``'s loop (``wpmodel.distill.trainer.distill``) for ``--distill-minutes`` (the
step count measured on the aligned run, the ablation gets the same count), evaluated with its EMA
weights, 4 steps. The synthetic clips have no caption, so classifier-free guidance is a no-op here.
Baseline for the ratios: the teacher at 8 steps (its training-time sampler), and the teacher at 4 steps.

The ablation only differs from the aligned run where the union of the student's memory over the rollout
differs from the teacher's own retrieval; ``context_mismatch`` prints how often (poses only). On clips
of 8 chunks it is never (a 3-chunk rollout's memory is then the whole history either way), on 12
chunks ~36% of rollout starts, on 16 ~42%: hence ``--train-chunks 12``.

    python benchmarks/distill_tiny.py --teacher-minutes 8 --distill-minutes 4 --out /tmp/h4/distill
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from memory_data import KINDS, decode, decoder, leg_chunks, projection, revisit_path
from memory_effect import build_data, generate, leg_psnr, summarize, train_model

from wpdata.synth import make_world
from wpmodel.distill.config import DistillConfig
from wpmodel.distill.context import own_context
from wpmodel.distill.trainer import distill
from wpmodel.eval.image_metrics import ssim
from wpmodel.generate.load import load_dit
from wpmodel.memory.context import build_context
from wpmodel.memory.retrieval import build_index, retrieve_memory_chunks


def context_mismatch(n_lat: int, seeds: range, chunks: int = 3, min_history: int = 2) -> float:
    """Fraction of (scene, rollout start) where the aligned teacher context (union of the student's
    memory) differs from the teacher's own retrieval; poses only (retrieval does not look at latents)."""
    differ = total = 0
    for seed in seeds:
        world = make_world(seed, ("street", "plaza", "room")[(seed // 3) % 3], texture_size=128)
        c2w = revisit_path(world, n_lat, seed, KINDS[seed % len(KINDS)])[::4].astype(np.float64)
        for start in range(4 * min_history, n_lat - 4 * chunks + 1, 4):
            union: set[int] = set()
            for s in range(start, start + 4 * chunks, 4):
                got = retrieve_memory_chunks(c2w[:s], c2w[s : s + 4], 3, 8, 4, index=build_index(c2w[:s], 4))
                union |= set(build_context(s, got, 3, 4, 8).context)
            aligned = tuple(sorted(union - set(range(start, start + 4 * chunks))))
            differ += aligned != own_context(c2w, start, 4 * chunks, 4)
            total += 1
    return differ / max(total, 1)


def leg_ssim(gen: np.ndarray, s: dict, P_inv: np.ndarray) -> float:
    """Return-leg mean per-latent SSIM (wpmodel.eval's, on uint8 frames) of generated latents [16, n, 8, 8]."""
    _, back = leg_chunks(s["latents"].shape[1], s["kind"])
    lat = (back[:, None] * 4 + np.arange(4)).ravel()
    to8 = lambda x: np.clip((x + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)  # noqa: E731  [-1, 1] -> uint8
    gt = decode(s["latents"].transpose(1, 0, 2, 3), P_inv)[lat]  # [L, 64, 64, 3]
    pred = decode(gen.transpose(1, 0, 2, 3), P_inv)[lat]
    return float(ssim(to8(pred), to8(gt)).mean())


def distil_student(folder: Path, teacher: Path, run: Path, args, alignment: bool, steps: int | None):
    """One student for ``steps`` generator updates, or for ``--distill-minutes`` (step time from a warm-up)."""
    shutil.rmtree(run, ignore_errors=True)
    cfg = DistillConfig.from_dict({
        "teacher": {"path": str(teacher)},
        "data": {"shards": str(folder / "train"), "window_latents": None, "batch_size": args.batch,
                 "shuffle_buffer": 16},
        "distill": {"critic_steps": args.critic_steps, "rollout_chunks": 3, "min_history_chunks": 2,
                    "context_alignment": alignment},
        "optim": {"lr_generator": args.lr_generator, "lr_critic": args.lr_critic},
        "train": {"steps": steps or 3, "log_every": 10_000, "ckpt_every": 10_000, "sample_every": 0,
                  "device": args.device, "out_dir": str(run), "seed": 0},
    })  # fmt: skip
    t0 = time.perf_counter()
    if steps is None:
        distill(cfg, log=None)  # warm-up; the long run resumes from its checkpoint (exact resume)
        step_s = (time.perf_counter() - t0) / cfg.train.steps
        budget = args.distill_minutes * 60 - (time.perf_counter() - t0)
        cfg.train.steps += max(5, int(budget / step_s / 1.05))
    cfg.train.ckpt_every = cfg.train.steps
    res = distill(cfg, log=None)
    tail = lambda x: float(np.mean(x[-10:])) if x else float("nan")  # noqa: E731
    print(f"  student alignment={alignment}: {res.step} steps in {(time.perf_counter() - t0) / 60:.1f} min, "
          f"DMD loss (last 10 of this call) {tail(res.gen_losses):.4g}, critic loss {tail(res.critic_losses):.4g}",
          flush=True)  # fmt: skip
    return res.ema.module.eval().cpu(), res.step  # generation runs on the CPU


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher-minutes", type=float, default=6.0)
    ap.add_argument("--distill-minutes", type=float, default=5.0)
    ap.add_argument("--test-scenes", type=int, default=12)
    ap.add_argument("--train-clips", type=int, default=48)
    ap.add_argument("--train-chunks", type=int, default=12)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--critic-steps", type=int, default=5)
    ap.add_argument("--lr-generator", type=float, default=1e-4)
    ap.add_argument("--lr-critic", type=float, default=2e-5)
    ap.add_argument("--out", type=Path, default=Path("/tmp/h4/distill"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="training device: cpu | cuda (bf16 autocast there)")
    ap.add_argument(
        "--reuse", action="store_true", help="reuse a finished teacher run (memory_effect's --reuse)"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # memory_effect's data / training / generation settings
    args.long_scenes, args.long_factor, args.context_t = 0, 1, 0.0
    args.minutes_per_model = args.teacher_minutes
    folder = args.out.parent / f"{args.out.name}_data"
    P = projection()
    P_inv = decoder(P)
    scenes, _, scale = build_data(folder, args, P)
    print(
        f"data: {args.train_clips} training clips of {args.train_chunks} chunks, {len(scenes)} held-out scenes"
    )
    mismatch = context_mismatch(4 * args.train_chunks, range(24))
    print(f"aligned teacher context != teacher's own retrieval in {mismatch:.0%} of rollout starts "
          "(24 training-like paths; 0% makes the ablation void)", flush=True)  # fmt: skip
    _, t_steps = train_model(folder, folder / "run_teacher", args, 0, "reframed")
    teacher, _, _ = load_dit(
        folder / "run_teacher"
    )  # its EMA weights: the distillation's teacher (teacher.ema)
    aligned, d_steps = distil_student(
        folder, folder / "run_teacher", folder / "run_aligned", args, True, None
    )
    ablation, _ = distil_student(
        folder, folder / "run_teacher", folder / "run_ablation", args, False, d_steps
    )
    variants = [("teacher, 8 steps", teacher, 8), ("teacher, 4 steps", teacher, 4),
                ("student aligned context, 4 steps", aligned, 4), ("student own teacher retrieval, 4 steps", ablation, 4)]  # fmt: skip
    res, res_ssim, secs = {}, {}, {}
    for name, model, steps in variants:
        args.euler_steps = steps
        t0, vals, gens = time.perf_counter(), [], []
        with torch.no_grad():
            for s in scenes:
                gens.append(generate(model, s, scale, "fov", "reframed", args))
        secs[name] = (time.perf_counter() - t0) / (len(scenes) * (4 * args.train_chunks // 4 - 1))
        res[name] = [leg_psnr(g, s, P_inv)[0] for g, s in zip(gens, scenes, strict=True)]
        res_ssim[name] = [leg_ssim(g, s, P_inv) for g, s in zip(gens, scenes, strict=True)]
    base = "teacher, 8 steps"
    lines = [f"teacher: {t_steps} training steps; students: {d_steps} generator steps each "
             f"({args.critic_steps} critic updates per step)", "",
             f"{'variant':42} {'return-leg PSNR dB':20} {'SSIM':16} {'ms/chunk':>9} {'speed vs 8-step':>16}"]  # fmt: skip
    for name, vals in res.items():
        s, q = summarize([vals]), summarize([res_ssim[name]])
        lines.append(f"{name:42} {s['mean']:6.2f} +- {s['se_scenes']:.2f}      {q['mean']:.3f} +- {q['se_scenes']:.3f} "
                     f"{1000 * secs[name]:9.1f} {secs[base] / secs[name]:15.2f}x")  # fmt: skip
    lines += ["", "paired differences (dB, mean +- se over scenes)"]
    for a, b in (("student aligned context, 4 steps", "teacher, 4 steps"),
                 ("student aligned context, 4 steps", "teacher, 8 steps"),
                 ("student aligned context, 4 steps", "student own teacher retrieval, 4 steps")):  # fmt: skip
        d = summarize([np.asarray(res[a]) - np.asarray(res[b])])
        q = summarize([np.asarray(res_ssim[a]) - np.asarray(res_ssim[b])])
        lines.append(
            f"  {a} - {b}: {d['mean']:+.2f} +- {d['se_scenes']:.2f} dB, SSIM {q['mean']:+.3f} +- {q['se_scenes']:.3f}"
        )
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    args.out.with_suffix(".json").write_text(
        json.dumps({"args": meta, "per_scene": res, "per_scene_ssim": res_ssim, "s_per_chunk": secs})
    )
    args.out.with_suffix(".md").write_text(f"# benchmarks/distill_tiny.py\n\n```\n{text}\n```\n")


if __name__ == "__main__":
    main()
