"""Estimate the latent normalisation (shift, scale) for diffusion from data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from wpmodel.data.collate import to_unit_range
from wpmodel.vae.interface import VideoAutoencoder


def as_video(batch: Tensor | dict[str, Any]) -> Tensor:
    """[B, 3, T, H, W] in [-1, 1] from a tensor in that layout, or a loader dict with ``video``
    [B, T, 3, H, W] (float in [-1, 1], or uint8 as the shard reader gives by default)."""
    if isinstance(batch, dict):
        if "video" not in batch:
            raise KeyError(f"batch has no 'video' (keys: {sorted(batch)})")
        video = batch["video"]
        if video.dtype == torch.uint8:  # the shard reader's default: [0, 255] -> [-1, 1]
            video = to_unit_range(video)
        return video.permute(0, 2, 1, 3, 4)
    return batch


@torch.no_grad()
def latent_stats(
    vae: VideoAutoencoder, batches: Iterable[Tensor | dict[str, Any]], max_batches: int | None = None
) -> tuple[float, float]:
    """(shift, scale) so that (z - shift) * scale has mean 0 and std 1 over the posterior means of
    ``batches`` (all elements pooled; float64 accumulation). Pass them to ``set_latent_stats``."""
    n, s, ss = 0, 0.0, 0.0
    for i, batch in enumerate(batches):
        if max_batches is not None and i >= max_batches:
            break
        z = vae.encode(as_video(batch)).mode().double()
        n, s, ss = n + z.numel(), s + z.sum().item(), ss + (z * z).sum().item()
    if n == 0:
        raise ValueError("latent_stats: no batches")
    mean = s / n
    std = max(ss / n - mean * mean, 0.0) ** 0.5
    if std == 0.0:
        raise ValueError("latent_stats: latents are constant (std 0); cannot normalise")
    return mean, 1.0 / std
