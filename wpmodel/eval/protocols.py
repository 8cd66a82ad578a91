"""The paper's two evaluation protocols (Table 2), run with a StreamingGenerator on held-out clips.

- Short-term: the clip's first chunk (its real latents) is given; the generator continues it with the
  clip's own actions and poses for ``short_latents`` latents in all (16 latents = the paper's 61 frames);
  every generated frame is compared with the clip's frame of the same index.
- Long-term: an out-and-back trajectory over the clip's first n latents (all, or ``leg_latents``):
  0..n-1, n-2..0 (back at the start), then 1..n-1, ... while it is shorter than ``factor`` (4) times
  the generator's context window; the camera of trajectory step
  j is the clip's camera of latent ``idx[j]``. Every step after the first out leg revisits a place
  whose ground truth exists: its generated frame (the last frame of latent j, video frame 4j) is
  compared with the clip's frame ``4 idx[j]``.

Actions of the long-term trajectory come from its poses through ``actions_fn`` (the caller's pose ->
label rule; wpmodel does not own it). Frames are uint8 [T, H, W, 3]; latents normalised [1, L, C, h, w].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from wpmodel.eval.image_metrics import psnr, ssim
from wpmodel.eval.lpips import LPIPS
from wpmodel.generate import StreamingDecoder, StreamingGenerator

FrameSink = Callable[[np.ndarray], None]


@dataclass
class EvalClip:
    """A held-out clip: ground-truth frames, per-latent cameras and actions, caption, latents."""

    key: str
    frames: np.ndarray  # [1 + 4 (L - 1), H, W, 3] uint8
    c2w: np.ndarray  # [L, 4, 4] float64 OpenCV c2w of latent i (video frame 4 i)
    K: np.ndarray  # [3, 3] pixel intrinsics
    actions: np.ndarray  # [L] int64
    caption: Tensor  # [1, D]
    latents: Tensor  # [1, L, C, h, w] normalised

    @property
    def num_latents(self) -> int:
        return len(self.c2w)


@dataclass
class Rollout:
    """One protocol's generated video and which of its frames are compared with which clip frames."""

    protocol: str
    frames: np.ndarray  # [T_gen, H, W, 3] uint8, the first chunk included
    gen_index: np.ndarray  # [N] generated frames that are compared
    gt_index: np.ndarray  # [N] clip frames they are compared with
    commanded_c2w: np.ndarray  # [L_traj, 4, 4] camera of each trajectory latent
    latencies: list[float] = field(default_factory=list)  # seconds per generated chunk


def context_window(gen: StreamingGenerator) -> int:
    """Latents one chunk's generation sees: temporal chunks + spatial memory (first chunk at least) + target."""
    return gen.temporal_chunks * gen.chunk + max(gen.memory_latents, gen.chunk) + gen.chunk


@torch.no_grad()
def encode_clip(vae: object, frames: np.ndarray) -> Tensor:
    """Frames [1 + 4 (L - 1), H, W, 3] uint8 -> normalised posterior-mean latents [1, L, C, h, w]."""
    dev = next(vae.parameters()).device if hasattr(vae, "parameters") else torch.device("cpu")
    video = torch.from_numpy(np.ascontiguousarray(frames)).to(dev).permute(3, 0, 1, 2).float() / 127.5 - 1.0
    z = vae.normalize(vae.encode(video[None]).mode())  # [1, C, L, h, w]
    return z.permute(0, 2, 1, 3, 4).float().contiguous()


def rollout(
    gen: StreamingGenerator,
    vae: object,
    first_latents: Tensor,  # [1, chunk, C, h, w]
    caption: Tensor,  # [1, D]
    K: np.ndarray,  # [3, 3]
    c2w: np.ndarray,  # [L, 4, 4] every latent's camera, the first chunk's included
    actions: np.ndarray,  # [L]
    sink: FrameSink | None = None,
) -> tuple[np.ndarray, list[float]]:
    """Generate a whole trajectory chunk by chunk: (decoded frames [1 + 4 (L - 1), H, W, 3], latencies)."""
    c = gen.chunk
    if len(c2w) % c or len(actions) != len(c2w) or len(c2w) < 2 * c:
        raise ValueError(f"a rollout needs L >= {2 * c} latents, a multiple of {c}: got {len(c2w)}")
    gen.start(first_latents, caption, c2w[:c], K, first_actions=np.asarray(actions[:c]))
    decoder, parts = StreamingDecoder(vae), []

    def emit(frames: np.ndarray) -> None:
        parts.append(frames)
        if sink is not None:
            sink(frames)

    emit(decoder.decode(first_latents))
    for lat in gen.stream(actions[c:], c2w[c:]):
        emit(decoder.decode(lat))
    return np.concatenate(parts), gen.latencies


def short_term(
    gen: StreamingGenerator,
    vae: object,
    clip: EvalClip,
    short_latents: int = 16,
    sink: FrameSink | None = None,
) -> Rollout:
    """Continue the clip from its first chunk with its own actions and poses (module docstring)."""
    c = gen.chunk
    n = min(int(short_latents), clip.num_latents) // c * c
    if n < 2 * c:
        raise ValueError(f"clip {clip.key}: {clip.num_latents} latents; short-term needs at least {2 * c}")
    acts = clip.actions[:n].copy()
    acts[0] = 0
    frames, lat = rollout(gen, vae, clip.latents[:, :c], clip.caption, clip.K, clip.c2w[:n], acts, sink)
    first = 1 + 4 * (c - 1)  # frames of the given first chunk
    idx = np.arange(first, len(frames))
    return Rollout("short-term", frames, idx, idx, clip.c2w[:n], lat)


def out_and_back(num_latents: int, min_latents: int, chunk: int) -> np.ndarray:
    """Clip latent index per trajectory step: 0..n-1, n-2..0, 1..n-1, ... for at least one whole
    out-and-back (2 n - 1 steps) and at least ``min_latents`` steps, a multiple of ``chunk``: [L_traj]."""
    n = int(num_latents)
    if n < chunk + 1:
        raise ValueError(f"out-and-back needs more than {chunk} latents, got {n}")
    period = np.concatenate([np.arange(n), np.arange(n - 2, 0, -1)])  # [2 n - 2] one cycle
    L = max(int(min_latents), 2 * n - 1)
    L = -(-L // chunk) * chunk
    return period[np.arange(L) % len(period)].astype(np.int64)


def long_term(
    gen: StreamingGenerator,
    vae: object,
    clip: EvalClip,
    actions_fn: Callable[[np.ndarray], np.ndarray],
    factor: float = 4.0,
    sink: FrameSink | None = None,
    leg_latents: int | None = None,
) -> Rollout:
    """Out-and-back over the clip for >= ``factor`` context windows; return-leg frames vs ground truth."""
    c = gen.chunk
    n = clip.num_latents if leg_latents is None else min(int(leg_latents), clip.num_latents)
    idx = out_and_back(n, math.ceil(factor * context_window(gen)), c)  # [L]
    c2w = clip.c2w[idx]  # [L, 4, 4]
    acts = np.asarray(actions_fn(c2w), dtype=np.int64)  # [L]
    acts[:c] = clip.actions[:c]
    acts[0] = 0
    frames, lat = rollout(gen, vae, clip.latents[:, :c], clip.caption, clip.K, c2w, acts, sink)
    steps = np.arange(n, len(idx))  # every step after the first out leg
    return Rollout("long-term", frames, 4 * steps, 4 * idx[steps], c2w, lat)


def frame_scores(
    run: Rollout, gt_frames: np.ndarray, lpips: LPIPS | None = None
) -> dict[str, np.ndarray | None]:
    """Per compared frame: ``frame`` (generated frame index), ``psnr``, ``ssim``, ``lpips`` (None
    without an LPIPS model): arrays [N]."""
    gen, gt = run.frames[run.gen_index], np.asarray(gt_frames)[run.gt_index]  # [N, H, W, 3] each
    return {
        "frame": run.gen_index.astype(np.int64),
        "psnr": psnr(gen, gt),
        "ssim": ssim(gen, gt),
        "lpips": None if lpips is None else lpips.frames(gen, gt),
    }
