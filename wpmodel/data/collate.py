"""Stack typed samples into a training batch; samples of one batch must have equal shapes.

Each batch tensor is allocated once and every sample copied into its slot by numpy (one copy per byte;
see ``wpmodel.data.decode`` on torch ops). Inside a DataLoader worker the big tensors (video, latents)
are allocated in shared memory, as torch's ``default_collate`` does, so sending the batch to the main
process does not copy it again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from wpmodel.data.decode import to_unit_planar
from wpmodel.data.latent_slab import BatchPool, LatentSlab, materialize
from wpmodel.data.sample import TrainSample

_TENSORS = ("frames", "latents", "c2w", "K", "actions", "caption_embedding")


def to_unit_range(video: torch.Tensor) -> torch.Tensor:
    """uint8 video (any shape, e.g. [B, T, 3, H, W] on the GPU) -> float32 in [-1, 1]."""
    return video.float().div_(127.5).sub_(1.0)


_NP = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64}


def empty_batch(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised tensor, in shared memory when called in a DataLoader worker."""
    if torch.utils.data.get_worker_info() is None:
        return torch.empty(shape, dtype=dtype)
    nbytes = int(np.prod(shape)) * torch.empty((), dtype=dtype).element_size()
    storage = torch.UntypedStorage._new_shared(nbytes)  # what default_collate does in workers
    return torch.empty(0, dtype=dtype).set_(storage, 0, shape)


def _batch_buffer(shape: tuple[int, ...], dtype: torch.dtype, pool: BatchPool | None) -> torch.Tensor:
    """A batch tensor: shared memory in a DataLoader worker, else from ``pool`` when given."""
    if pool is None or torch.utils.data.get_worker_info() is not None:
        return empty_batch(shape, dtype)
    return pool.get(shape, dtype)


def _stack_slabs(slabs: list[LatentSlab], pool: BatchPool | None) -> torch.Tensor:
    """Latent windows read from their files straight into one batch [B, L, C, h, w]."""
    bf16 = slabs[0].stored_dtype == "BF16"
    out = _batch_buffer((len(slabs), *slabs[0].shape), torch.int16 if bf16 else slabs[0].dtype, pool)
    dst = out.numpy()
    for b, slab in enumerate(slabs):
        slab.read_into(dst[b])
    return out.view(torch.bfloat16) if bf16 else out


def _stack(values: list[torch.Tensor], shared: bool = False) -> torch.Tensor:
    """Stack by numpy copies into one allocation (shared memory in workers if ``shared``); bfloat16
    (numpy lacks it) and dtypes outside ``_NP`` by torch."""
    dtype = values[0].dtype
    if dtype not in _NP or any(v.dtype != dtype for v in values):
        return torch.stack(values)
    shape = (len(values), *values[0].shape)
    out = empty_batch(shape, dtype) if shared else torch.from_numpy(np.empty(shape, _NP[dtype]))
    dst = out.numpy()
    for b, v in enumerate(values):
        dst[b] = v.numpy()
    return out


def collate(
    samples: list[TrainSample], video_dtype: str = "uint8", pool: BatchPool | None = None
) -> dict[str, Any]:
    """Batch of ``samples``: video [B, T, 3, H, W] or latents [B, T_lat, C, h, w], c2w [B, T, 4, 4],
    K [B, T, 3, 3], actions [B, T_lat], caption_embedding [B, D], has_caption [B], window_start [B],
    keys and meta (lists).

    Shards are grouped by resolution and window length, so unequal shapes mean mixed inputs: raises
    ValueError naming the member and the keys of each shape. Video is uint8 [0, 255] by default (4x
    fewer bytes to copy, pin and send to the GPU; normalise there with ``to_unit_range``);
    ``video_dtype="float32"`` gives float32 in [-1, 1] here instead. With a ``pool`` (in-process
    loading), the video and latent batch buffers are reused once the caller has dropped a batch.
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
            out["video"] = _batch_buffer((len(values), T, 3, H, W), getattr(torch, video_dtype), pool)
            video = out["video"].numpy()
            for b, v in enumerate(values):
                if video_dtype == "uint8":
                    video[b] = v.transpose(0, 3, 1, 2)
                else:
                    to_unit_planar(v, out=video[b])
            continue
        if name == "latents" and all(isinstance(v, LatentSlab) for v in values):
            if len({v.stored_dtype for v in values}) == 1:
                out[name] = _stack_slabs(values, pool)
                continue
        if name == "latents":
            values = [materialize(v) for v in values]
        out[name] = _stack(values, shared=name == "latents")
    out["has_caption"] = torch.from_numpy(np.array([s.has_caption for s in samples], np.bool_))  # [B]
    out["window_start"] = torch.from_numpy(np.array([s.window_start for s in samples], np.int64))  # [B]
    out["keys"] = [s.key for s in samples]
    out["meta"] = [s.meta for s in samples]
    return out
