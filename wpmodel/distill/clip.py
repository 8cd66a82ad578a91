"""``Clip``: one sample of a reader batch as the distiller uses it -- clean latents, per-latent poses and
actions, pixel intrinsics and the caption embedding -- plus the random rollout start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from manifests.layout import FRAMES_PER_LATENT


@dataclass(frozen=True)
class Clip:
    latents: Tensor  # [1, T, C, h, w] clean data latents (float32, on the training device)
    c2w: np.ndarray  # [T, 4, 4] float64 OpenCV c2w per latent (latent i uses video frame 4i)
    K: np.ndarray  # [3, 3] float64 pixel intrinsics of latent 0
    actions: np.ndarray  # [T] int64 action labels per latent
    caption: Tensor  # [1, caption_dim] float32 (zeros when the sample has no caption)

    @property
    def num_latents(self) -> int:
        return int(self.latents.shape[1])


def clips_from_batch(batch: dict[str, Any], latents: Tensor) -> list[Clip]:
    """One ``Clip`` per sample of a reader batch whose latents [B, T, C, h, w] are already on the device."""
    B, T = latents.shape[:2]
    c2w = batch["c2w"][:, ::FRAMES_PER_LATENT].to(torch.float64).cpu().numpy()  # [B, T, 4, 4]
    K = batch["K"][:, 0].to(torch.float64).cpu().numpy()  # [B, 3, 3]
    acts = batch["actions"].to(torch.int64).cpu().numpy()  # [B, T]
    if c2w.shape[1] != T or acts.shape[1] != T:
        raise ValueError(f"batch: {T} latents but {c2w.shape[1]} latent poses and {acts.shape[1]} actions")
    keep = batch["has_caption"].to(torch.float32)[:, None]  # [B, 1]
    caption = (batch["caption_embedding"].float() * keep).to(latents.device)  # [B, D]
    return [Clip(latents[b : b + 1], c2w[b], K[b], acts[b], caption[b : b + 1]) for b in range(B)]


def rollout_start(
    num_latents: int, chunk: int, chunks: int, min_history: int, generator: torch.Generator
) -> int:
    """A chunk-aligned rollout start with >= ``min_history`` clean chunks before it and ``chunks`` after."""
    first, last = min_history * chunk, num_latents - chunks * chunk
    if last < first:
        raise ValueError(
            f"a clip of {num_latents} latents cannot hold {min_history} history + {chunks} rollout chunks "
            f"of {chunk} latents: raise data.window_latents or lower distill.rollout_chunks"
        )
    n = (last - first) // chunk + 1
    return first + chunk * int(torch.randint(0, n, (1,), generator=generator))
