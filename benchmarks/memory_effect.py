"""Memory benchmark (issue 7): return-leg PSNR of the tiny WorldPlay DiT generated autoregressively with
FOV-retrieved memory, without memory, and with a random memory chunk; and reframed vs absolute RoPE time
indices on test paths several times longer than the training clips (REFERENCE.md section 6).

Data (``memory_data.py``): wpdata.synth worlds walked out and back on paths whose return differs from
the way out (sideways offsets, other headings, wider loops); training clips of ``--train-chunks``
chunks, held-out scenes of the same length (memory test) and ``--long-factor`` times longer (time
index test). Latents: train_tiny's fixed random projection stand-in VAE.

Models, per training seed: ``R`` trained with reframed time indices, ``A`` with absolute ones; both
memory mode (p_memory 0.8, context noised as in the release), the trainer's ``train.time_mode``
setting picking the time indices of their memory windows.

PSNR: generated and ground-truth latents are both decoded through the stand-in's pseudo-inverse and
compared in pixel units ([-1, 1], peak-to-peak 2). Comparing with the rendered frames instead would
add the stand-in's reconstruction floor (16 of 192 patch dimensions survive), the same for every
variant, and hide the model's error; the decode keeps dB comparable to the prototype's pixel PSNR.
Per scene: mean of the per-latent PSNRs of the return-leg (out-leg) chunks. ``copy`` is an oracle
that pastes, for each return chunk, the ground-truth out-leg chunk that scores best: what copying a
retrieved chunk could get at most.

    python benchmarks/memory_effect.py --minutes-per-model 7 --seeds 2 --test-scenes 16 --long-scenes 8 --out /tmp/h5/full
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from memory_data import decode, decoder, leg_chunks, make_scene, path_gap, projection, write_scene_shard

from wpmodel.generate.load import load_dit
from wpmodel.generate.stream import StreamingGenerator
from wpmodel.train.checkpoint import latest_checkpoint
from wpmodel.train.config import TrainConfig
from wpmodel.train.trainer import train

SHORT_VARIANTS = [("R", "fov", "reframed"), ("R", "none", "reframed"), ("R", "random", "reframed"),
                  ("A", "fov", "absolute")]  # fmt: skip
LONG_VARIANTS = [("R", "fov", "reframed"), ("A", "fov", "absolute"), ("R", "fov", "absolute"),
                 ("R", "none", "reframed")]  # fmt: skip


def build_data(folder: Path, args: argparse.Namespace, P: np.ndarray) -> tuple[list, list, float]:
    """Train / val shards in ``folder``; returns (short test scenes, long test scenes, latent scale)."""
    n_lat = 4 * args.train_chunks
    cache = folder / "test_scenes.npz"
    if cache.is_file() and (folder / "val" / "shard-0000.tar").is_file():
        z = np.load(cache, allow_pickle=True)
        return list(z["short"]), list(z["long"]), float(z["scale"])
    train_scenes = [make_scene(s, n_lat, P) for s in range(args.train_clips)]
    scale = float(1.0 / np.std(np.concatenate([s["latents"].ravel() for s in train_scenes])))
    (folder / "train").mkdir(parents=True, exist_ok=True)
    (folder / "val").mkdir(parents=True, exist_ok=True)
    write_scene_shard(folder / "train" / "shard-0000.tar", train_scenes, scale)
    write_scene_shard(
        folder / "val" / "shard-0000.tar", [make_scene(s, n_lat, P) for s in range(50_000, 50_008)], scale
    )
    short = [make_scene(100_000 + i, n_lat, P) for i in range(args.test_scenes)]
    long = [make_scene(200_000 + i, n_lat * args.long_factor, P) for i in range(args.long_scenes)]
    np.savez(cache, short=np.array(short, dtype=object), long=np.array(long, dtype=object), scale=scale)
    return short, long, scale


def check_returns_differ(scenes: list) -> list[float]:
    """Assert every return leg differs from its out leg (pose gap); returns each scene's median gap."""
    gaps = []
    for s in scenes:
        n_lat = s["latents"].shape[1]
        out, back = leg_chunks(n_lat, s["kind"])
        assert len(out) >= 2 and len(back) >= 2, (
            f"scene {s['seed']}: legs too short ({len(out)}, {len(back)})"
        )
        lat = lambda chunks: (chunks[:, None] * 4 + np.arange(4)).ravel()  # noqa: E731
        g = float(np.median(path_gap(s["c2w"][::4], lat(out), lat(back))))
        assert g > 0.3, f"scene {s['seed']} ({s['kind']}): return replays the out leg (median gap {g:.2f})"
        gaps.append(g)
    return gaps


def train_model(
    folder: Path, run: Path, args: argparse.Namespace, seed: int, time_mode: str, steps: int | None = None
) -> tuple[torch.nn.Module, int]:
    """Train one tiny DiT for ``steps`` steps, or for ``--minutes-per-model`` (step time from a warm-up).

    With ``--reuse``, a finished run in ``run`` (same steps when given) is loaded instead of retrained.
    """
    ckpt = latest_checkpoint(run / "checkpoints") if args.reuse else None
    if ckpt is not None and (steps is None or int(ckpt.name.split("_")[1]) == steps):
        model, _, ckpt = load_dit(run, ema=False)
        print(f"  model seed {seed} {time_mode}: reused {ckpt}", flush=True)
        return model, int(ckpt.name.split("_")[1])
    shutil.rmtree(run, ignore_errors=True)
    cfg = TrainConfig.from_dict({
        "model": {"preset": "tiny", "overrides": {"latent_channels": 16}},
        "data": {"shards": str(folder / "train"), "val_shards": str(folder / "val"), "window_latents": None,
                 "batch_size": 4, "shuffle_buffer": 16, "val_batches": 2},
        "optim": {"lr": 3e-4, "warmup_steps": 50},
        "train": {"steps": steps or 10, "p_memory": 0.8, "time_mode": time_mode, "log_every": 10_000, "ckpt_every": 10_000,
                  "sample_every": 0, "val_every": 0, "seed": seed, "out_dir": str(run), "device": getattr(args, "device", "cpu")},
    })  # fmt: skip
    t0 = time.perf_counter()
    if steps is None:
        train(cfg, log=None)
        step_s = (time.perf_counter() - t0) / cfg.train.steps
        budget = args.minutes_per_model * 60 - (time.perf_counter() - t0)
        cfg.train.steps += max(10, int(budget / step_s / 1.05))
    cfg.train.ckpt_every = cfg.train.val_every = cfg.train.steps
    res = train(cfg, log=None)
    print(f"  model seed {seed} {time_mode}: {res.step} steps in {(time.perf_counter() - t0) / 60:.1f} min, "
          f"held-out loss {res.val_losses[res.step]:.4f}", flush=True)  # fmt: skip
    return res.model.eval(), res.step


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame PSNR [L] of frames [L, H, W, 3] in [-1, 1] units (peak-to-peak 2)."""
    mse = ((a - b) ** 2).reshape(len(a), -1).mean(-1)
    return 10 * np.log10(4.0 / np.maximum(mse, 1e-12))


def leg_psnr(gen: np.ndarray, s: dict, P_inv: np.ndarray) -> tuple[float, float]:
    """(return-leg, out-leg) mean per-latent PSNR of generated latents [16, n, 8, 8] (unscaled)."""
    out, back = leg_chunks(s["latents"].shape[1], s["kind"])
    lat = lambda chunks: (chunks[:, None] * 4 + np.arange(4)).ravel()  # noqa: E731
    gt = decode(s["latents"].transpose(1, 0, 2, 3), P_inv)  # [n, 64, 64, 3]
    pred = decode(gen.transpose(1, 0, 2, 3), P_inv)
    p = psnr(pred, gt)
    return float(p[lat(back)].mean()), float(p[lat(out)].mean())


def copy_oracle(s: dict, P_inv: np.ndarray) -> float:
    """Return-leg PSNR of pasting, per return chunk, the best-scoring ground-truth out-leg chunk."""
    out, back = leg_chunks(s["latents"].shape[1], s["kind"])
    gt = decode(s["latents"].transpose(1, 0, 2, 3), P_inv).reshape(-1, 4, 64, 64, 3)  # [chunks, 4, ...]
    return float(np.mean([max(psnr(gt[o], gt[b]).mean() for o in out) for b in back]))


def frozen_baseline(s: dict, P_inv: np.ndarray) -> float:
    """Return-leg PSNR of repeating the given first chunk's last latent (a model that learned no motion)."""
    out, back = leg_chunks(s["latents"].shape[1], s["kind"])
    gt = decode(s["latents"].transpose(1, 0, 2, 3), P_inv)  # [n, 64, 64, 3]
    lat = (back[:, None] * 4 + np.arange(4)).ravel()
    return float(psnr(np.repeat(gt[3:4], len(lat), 0), gt[lat]).mean())


def generate(model: torch.nn.Module, s: dict, scale: float, memory: str, time_mode: str, args) -> np.ndarray:
    """Latents [16, n, 8, 8] (unscaled) generated chunk by chunk from the scene's clean first chunk."""
    lat = torch.from_numpy(s["latents"] * scale).permute(1, 0, 2, 3)[None].float()  # [1, n, 16, 8, 8]
    c2w, acts = s["c2w"][::4], s["actions"].astype(np.int64)
    gen = StreamingGenerator(model, steps=args.euler_steps, memory=memory, time_mode=time_mode,
                             seed=int(s["seed"]), context_t=args.context_t)  # fmt: skip
    gen.start(lat[:, :4], torch.zeros(1, model.config.caption_dim), c2w[:4], s["K"], acts[:4])
    for _ in gen.stream(acts[4:], c2w[4:]):
        pass
    return gen.latents[0].permute(1, 0, 2, 3).numpy() / scale


def summarize(per_seed: list[np.ndarray]) -> dict:
    """Mean, se over scenes (of the seed-averaged values) and se over seed means of [seeds][scenes] values."""
    x = np.asarray(per_seed, dtype=np.float64)  # [S, N]
    scene_avg, seed_means = x.mean(0), x.mean(1)
    se_scene = float(scene_avg.std(ddof=1) / np.sqrt(len(scene_avg))) if x.shape[1] > 1 else float("nan")
    se_seed = float(seed_means.std(ddof=1) / np.sqrt(len(seed_means))) if x.shape[0] > 1 else float("nan")
    return {"mean": float(x.mean()), "se_scenes": se_scene, "se_seeds": se_seed, "n_seeds": x.shape[0],
            "n_scenes": x.shape[1]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes-per-model", type=float, default=7.0)
    ap.add_argument("--seeds", type=int, default=2, help="training seeds (each trains models R and A)")
    ap.add_argument("--test-scenes", type=int, default=16, help="held-out scenes of the memory test")
    ap.add_argument(
        "--long-scenes", type=int, default=8, help="held-out scenes of the long (time index) test"
    )
    ap.add_argument(
        "--out", type=Path, default=Path("/tmp/h5/memory_effect"), help="json/md written next to it"
    )
    ap.add_argument("--train-clips", type=int, default=96)
    ap.add_argument("--train-chunks", type=int, default=12, help="chunks per training clip and short test")
    ap.add_argument("--long-factor", type=int, default=3, help="long test paths = this many training lengths")
    ap.add_argument("--euler-steps", type=int, default=8)
    ap.add_argument("--context-t", type=float, default=0.0, help="flow time of the context at inference")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--reuse", action="store_true", help="load finished runs under <out>_data instead of training"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    folder = args.out.parent / f"{args.out.name}_data"
    P = projection()
    P_inv = decoder(P)
    t0 = time.perf_counter()
    short, long, scale = build_data(folder, args, P)
    gaps = check_returns_differ(short)
    check_returns_differ(long)
    copy = {
        "copy": [copy_oracle(s, P_inv) for s in short],
        "frozen": [frozen_baseline(s, P_inv) for s in short],
    }
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {args.train_clips} training clips of "
          f"{args.train_chunks} chunks, {len(short)} + {len(long)} held-out scenes (x{args.long_factor} long); "
          f"return-vs-out pose gap median {np.median(gaps):.2f} (m + deg/45)", flush=True)  # fmt: skip

    res: dict[str, dict[str, list]] = {}  # "test|model|memory|time" -> {"ret": [S][N], "out": [S][N]}
    for seed in range(args.seeds):
        model_r, steps = train_model(folder, folder / f"run_R{seed}", args, seed, "reframed")
        model_a, _ = train_model(folder, folder / f"run_A{seed}", args, seed, "absolute", steps)  # same steps
        models = {"R": model_r, "A": model_a}
        t1 = time.perf_counter()
        for test, scenes, variants in (("short", short, SHORT_VARIANTS), ("long", long, LONG_VARIANTS)):
            for m, mem, tm in variants:
                key = f"{test}|{m}|{mem}|{tm}"
                vals = [leg_psnr(generate(models[m], s, scale, mem, tm, args), s, P_inv) for s in scenes]
                res.setdefault(key, {"ret": [], "out": []})
                res[key]["ret"].append([v[0] for v in vals])
                res[key]["out"].append([v[1] for v in vals])
        print(f"  seed {seed} evaluated in {(time.perf_counter() - t1) / 60:.1f} min", flush=True)
        if seed < args.seeds - 1:
            report(res, copy, args, final=False)  # partial results, rewritten after every seed
    report(res, copy, args)


def report(res: dict, copy: dict[str, list[float]], args: argparse.Namespace, final: bool = True) -> None:
    """Print the table and the differences; write <out>.json and <out>.md (``final``: all seeds done)."""
    label = {"R": "trained reframed", "A": "trained absolute"}
    rows, lines = [], []
    for key, v in res.items():
        test, m, mem, tm = key.split("|")
        rows.append({"test": test, "model": m, "memory": mem, "time": tm, "return": summarize(v["ret"]),
                     "out": summarize(v["out"]), "per_scene_return": v["ret"], "per_scene_out": v["out"]})  # fmt: skip
    diffs = []
    for name, a, b in (("memory - none", "short|R|fov|reframed", "short|R|none|reframed"),
                       ("memory - random", "short|R|fov|reframed", "short|R|random|reframed"),
                       ("reframe - absolute (short, own training)", "short|R|fov|reframed", "short|A|fov|absolute"),
                       ("reframe - absolute (long, own training)", "long|R|fov|reframed", "long|A|fov|absolute"),
                       ("reframe - absolute (long, model R, inference only)", "long|R|fov|reframed", "long|R|fov|absolute"),
                       ("memory - none (long)", "long|R|fov|reframed", "long|R|none|reframed")):  # fmt: skip
        d = np.asarray(res[a]["ret"]) - np.asarray(res[b]["ret"])  # paired per (seed, scene)
        diffs.append({"difference": name, "return": summarize(d)})
    fmt = lambda s: f"{s['mean']:6.2f} +- {s['se_scenes']:.2f} (seeds +- {s['se_seeds']:.2f})"  # noqa: E731
    head = f"{'test':6} {'variant':44} {'PSNR return dB':34} {'PSNR out dB':34} n"
    lines += [head, "-" * len(head)]
    for r in rows:
        name = f"{label[r['model']]}, memory {r['memory']}, {r['time']} t"
        lines.append(f"{r['test']:6} {name:44} {fmt(r['return']):34} {fmt(r['out']):34} "
                     f"{r['return']['n_seeds']}x{r['return']['n_scenes']}")  # fmt: skip
    c = {k: summarize([v]) for k, v in copy.items()}
    for k, name in (
        ("copy", "copy best out-leg chunk (oracle)"),
        ("frozen", "repeat the first chunk's last latent"),
    ):
        lines.append(f"{'short':6} {name:44} {c[k]['mean']:6.2f} +- {c[k]['se_scenes']:.2f}")
    lines += ["", "paired differences of return-leg PSNR (dB, mean +- se over scenes, over seeds)"]
    lines += [f"  {d['difference']:52} {fmt(d['return'])}" for d in diffs]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    blob = {
        "args": meta,
        "complete": final,
        "rows": rows,
        "differences": diffs,
        "baselines": {"summary": c, "per_scene": copy},
    }
    args.out.with_suffix(".json").write_text(json.dumps(blob, indent=1))
    md = f"# Memory benchmark (benchmarks/memory_effect.py)\n\nargs: `{json.dumps(meta)}`\n\n```\n{text}\n```\n"
    args.out.with_suffix(".md").write_text(md)


if __name__ == "__main__":
    main()
