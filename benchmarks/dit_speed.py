"""Speed of the WorldPlay DiT on this machine: a training step, and streaming with vs without the KV cache.

- train step (forward + backward + AdamW) of a preset on a memory-mode window (24 latents: 20 context +
  4 target) of h x w latents, batch B;
- one generated chunk: ``steps`` denoising passes over the 4 target latents given 20 context latents,
  (a) recomputing the whole 24-latent window every step, (b) writing the context to a KVCache once and
  reading it every step. Also checks that (a) and (b) give the same velocities.

    python benchmarks/dit_speed.py [--preset tiny] [--hw 16] [--batch 2] [--steps 4] [--threads 1]
    python benchmarks/dit_speed.py --device cuda --bf16 --preset 1b --hw 32 --batch 4   # on a GPU

On CUDA the timings synchronise the device, the train step runs under bf16 autocast with --bf16 (as
``wp train`` with ``train.precision: bf16``), and training throughput is also printed as tokens/s.
"""

from __future__ import annotations

import argparse
import time

import torch

from wpmodel.dit import DiTConfig, WorldPlayDiT, flow_loss, sample_chunk_timesteps


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best(fn, repeat: int, device: torch.device = torch.device("cpu")) -> float:
    """Best wall time of ``repeat`` calls, in ms (after one warm-up call; the device synchronised)."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return 1000 * min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--hw", type=int, default=16)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)  # 1: the 2 shared cores are busy
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true", help="train step under bf16 autocast (CUDA)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev = torch.device(args.device)
    cfg = DiTConfig.preset(args.preset)
    model = WorldPlayDiT(cfg).to(dev)
    g = torch.Generator().manual_seed(0)
    B, L, hw = args.batch, 24, args.hw
    x = torch.randn(B, L, cfg.latent_channels, hw, hw, generator=g).to(dev)
    cap = torch.randn(B, cfg.caption_dim, generator=g).to(dev)
    acts = torch.randint(0, cfg.num_actions, (B, L), generator=g).to(dev)
    w2c = torch.eye(4).repeat(B, L, 1, 1)
    w2c[..., 2, 3] = -0.1 * torch.arange(L)
    cond = {"caption": cap, "actions": acts, "viewmats": w2c.to(dev)}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)  # the timed steps also move the zero-init weights

    def train_step() -> None:
        t = sample_chunk_timesteps(B, L, cfg.chunk_latents, g).to(dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            loss = flow_loss(model(x, t, **cond), x)
        opt.zero_grad()
        loss.backward()
        opt.step()

    n_params = sum(p.numel() for p in model.parameters())
    tokens = L * (hw // cfg.patch_size[1]) * (hw // cfg.patch_size[2]) + cfg.caption_tokens
    print(
        f"preset {args.preset} ({n_params / 1e6:.2f}M params), B={B}, {L} latents of {hw}x{hw}, {tokens} tokens"
    )
    ms = best(train_step, args.repeat, dev)
    print(
        f"train step ({dev.type}{', bf16' if args.bf16 else ''}): {ms:.1f} ms, {B * tokens / ms * 1000:,.0f} tokens/s"
    )
    if dev.type == "cuda":
        print(f"  peak GPU memory {torch.cuda.max_memory_allocated(dev) / 2**30:.2f} GiB")

    model.eval()
    t = torch.zeros(B, L, device=dev)

    def sl(d, a, b):
        return {k: (v if k == "caption" else v[:, a:b]) for k, v in d.items()}

    @torch.no_grad()
    def full() -> torch.Tensor:
        for s in range(args.steps):
            t[:, 20:] = 1 - s / args.steps
            out = model(x, t, **cond)[:, 20:]
        return out

    @torch.no_grad()
    def cached() -> torch.Tensor:
        cache = model.new_cache()
        model(x[:, :20], t[:, :20], **sl(cond, 0, 20), kv_cache=cache, cache_mode="write")
        for s in range(args.steps):
            t[:, 20:] = 1 - s / args.steps
            out = model(x[:, 20:], t[:, 20:], **sl(cond, 20, 24), kv_cache=cache, cache_mode="read")
        return out

    ref = full()
    diff = (ref - cached()).abs().max().item()
    ms_full, ms_cached = best(full, args.repeat, dev), best(cached, args.repeat, dev)
    print(
        f"one chunk, {args.steps} denoising steps: full recompute {ms_full:.1f} ms, KV cache {ms_cached:.1f} ms"
    )
    print(
        f"  speed-up {ms_full / ms_cached:.2f}x; max |full - cached| = {diff:.2e} (max |v| {ref.abs().max():.2e})"
    )


if __name__ == "__main__":
    main()
