"""Stack typed samples into a training batch; samples of one batch must have equal shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from wpmodel.data.decode import to_unit_planar
from wpmodel.data.sample import TrainSample

_TENSORS = ("frames", "latents", "c2w", "K", "actions", "caption_embedding")


def to_unit_range(video: torch.Tensor) -> torch.Tensor:
    """uint8 video (any shape, e.g. [B, T, 3, H, W] on the GPU) -> float32 in [-1, 1]."""
    return video.float().div_(127.5).sub_(1.0)


def _stack(values: list[torch.Tensor]) -> torch.Tensor:
    """torch.stack done by numpy (single-threaded; see wpmodel.data.decode), bfloat16 by torch."""
    if any(v.dtype == torch.bfloat16 for v in values):
        return torch.stack(values)
    return torch.from_numpy(np.stack([v.numpy() for v in values]))


def collate(samples: list[TrainSample], video_dtype: str = "float32") -> dict[str, Any]:
    """Batch of ``samples``: video [B, T, 3, H, W] or latents [B, T_lat, C, h, w], c2w [B, T, 4, 4],
    K [B, T, 3, 3], actions [B, T_lat], caption_embedding [B, D], has_caption [B], window_start [B],
    keys and meta (lists).

    Shards are grouped by resolution and window length, so unequal shapes mean mixed inputs: raises
    ValueError naming the member and the keys of each shape. ``video_dtype="uint8"`` keeps video as
    uint8 [0, 255] (4x fewer bytes to copy and to send to the GPU; normalise there with
    ``to_unit_range``); the default is float32 in [-1, 1].
    """
    if video_dtype not in ("float32", "uint8"):
        raise ValueError(f"video_dtype must be 'float32' or 'uint8', got {video_dtype!r}")
    if not samples:
        raise ValueError("collate: empty batch")
    out: dict[str, Any] = {}
    for name in _TENSORS:
        values = [getattr(s, name) for s in samples]
        if all(v is None for v in values):
            continue
        shapes: dict[tuple, list[str]] = {}
        for s, v in zip(samples, values, strict=True):
            shapes.setdefault(None if v is None else tuple(v.shape), []).append(s.key)
        if len(shapes) > 1:
            seen = "; ".join(f"{list(k) if k else k}: {keys[:3]}" for k, keys in shapes.items())
            what = "video" if name == "frames" else name
            raise ValueError(
                f"cannot batch samples with different {what} shapes ({seen}); shards must be grouped "
                "by resolution and window length (or set window_latents / size)"
            )
        if name == "frames":  # uint8 [T, H, W, 3] each -> [B, T, 3, H, W] in one write pass
            T, H, W, _ = values[0].shape
            video = np.empty((len(values), T, 3, H, W), np.dtype(video_dtype))
            for b, v in enumerate(values):
                if video_dtype == "uint8":
                    video[b] = v.transpose(0, 3, 1, 2)
                else:
                    to_unit_planar(v, out=video[b])
            out["video"] = torch.from_numpy(video)
            continue
        out[name] = _stack(values)
    out["has_caption"] = torch.tensor([s.has_caption for s in samples])  # [B] bool
    out["window_start"] = torch.tensor([s.window_start for s in samples])  # [B] int64
    out["keys"] = [s.key for s in samples]
    out["meta"] = [s.meta for s in samples]
    return out
