"""Chunk-aligned training windows of a sample, and pose re-centring (REFERENCE.md section 1).

A latent frame covers 4 video frames and a chunk is 4 latents, so a window of L latents spans
``4 * (L - 1) + 1`` video frames and starts on a chunk boundary: start latent a multiple of 4, start
frame a multiple of 16. Any L >= 1 is allowed (the trainer usually asks for whole chunks).
"""

from __future__ import annotations

import zlib

import numpy as np

from manifests.layout import FRAMES_PER_LATENT

CHUNK_LATENTS = 4  # latents per chunk (block-causal attention unit)


class WindowError(ValueError):
    """The sample is too short for the requested window."""


def window_frames(num_latents: int) -> int:
    """Video frames spanned by ``num_latents`` latent frames: 4 * (L - 1) + 1."""
    if num_latents < 1:
        raise ValueError(f"a window needs >= 1 latent, got {num_latents}")
    return FRAMES_PER_LATENT * (num_latents - 1) + 1


def window_starts(total_latents: int, window_latents: int) -> list[int]:
    """Start latents (multiples of CHUNK_LATENTS) of every window of ``window_latents`` that fits."""
    return list(range(0, total_latents - window_latents + 1, CHUNK_LATENTS))


def window_rng(seed: int, epoch: int, key: str) -> np.random.Generator:
    """A generator for one sample's window: depends on (seed, epoch, key) only, not on the worker split."""
    return np.random.default_rng([seed, epoch, zlib.crc32(key.encode())])


def pick_window(total_latents: int, window_latents: int, rng: np.random.Generator | None) -> int:
    """Start latent of a window: uniform over chunk-aligned starts with ``rng``, the first without."""
    starts = window_starts(total_latents, window_latents)
    if not starts:
        raise WindowError(f"{total_latents} latents are shorter than a window of {window_latents}")
    return int(starts[rng.integers(len(starts))]) if rng is not None else 0


def recenter(c2w: np.ndarray) -> np.ndarray:
    """Poses relative to the first one, ``inv(c2w_0) @ c2w_i`` (float64 math, float32 out); also for a
    batch [B, T, 4, 4], each re-centred on its own first frame.

    Computed as one ``[4, 4] @ [4, 4 T]`` product per window (poses side by side) rather than ``T``
    products of 4x4s: numpy's matmul calls BLAS once per 4x4 pair, which is slow for a shard of windows,
    and a window gets the same bits whether it is re-centred alone or in a batch. Windows go about
    ``_RECENTER_POSES`` poses at a time, so the float64 temporaries stay in the CPU cache: a block of
    170 33-frame windows at once took 3x as long as the same windows 62 at a time.
    """
    c2w = np.asarray(c2w)  # [..., T, 4, 4]
    *lead, T, _, _ = c2w.shape
    flat = c2w.reshape(-1, T, 4, 4)  # [N, T, 4, 4]
    res = np.empty((len(flat), T, 4, 4), np.float32)  # [N, T, 4, 4]
    step = max(1, _RECENTER_POSES // max(T, 1))
    for i in range(0, len(flat), step):
        _recenter_into(flat[i : i + step], res[i : i + step])
    return res.reshape(*lead, T, 4, 4)


_RECENTER_POSES = 2048  # ~256 KiB of float64 poses per step


def _recenter_into(c2w: np.ndarray, res: np.ndarray) -> None:
    """``recenter`` of windows ``c2w`` [N, T, 4, 4] into ``res`` [N, T, 4, 4] float32."""
    N, T = c2w.shape[:2]
    x = c2w.astype(np.float64)  # [N, T, 4, 4]
    inv0 = np.linalg.inv(x[:, 0])  # [N, 4, 4]
    side = np.ascontiguousarray(np.swapaxes(x, 1, 2)).reshape(N, 4, T * 4)  # [N, 4, T * 4]
    out = (inv0 @ side).reshape(N, 4, T, 4)  # [N, 4 (row), T, 4 (col)]
    np.copyto(np.swapaxes(res, 1, 2), out, casting="same_kind")  # 4x faster than a cast of the swap
