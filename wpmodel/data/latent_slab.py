"""Latent windows read from the shard file straight into their batch slot, and reusable batch buffers.

Stored orders (``latent_layout``, from the file's safetensors metadata ``layout``, written by
``wpdata.shards.latent_file``): ``TCHW``, ``latent [T_lat, C, h, w]``, where a window is one contiguous
byte range read with one ``preadv`` into its slot; ``CTHW`` (no ``layout`` key: files written before),
``latent [C, T_lat, h, w]``, where each channel's window is contiguous and its ``[h, w]`` slices are
scattered to ``out[t, c]``.

Why not the mapped view: a latent window ``[C, T_lat, h, w] -> [L, C, h, w]`` copied out of the
``mmap`` of the shard costs a page fault per 4 KiB of source, and a freshly allocated batch a
zero-filled page fault per 4 KiB of destination; together they made the latent reader 3-10x slower
than a plain ``read`` of the same bytes. Here the window is read with ``os.preadv`` (one system call
per group of up to IOV_MAX slices), scattering each contiguous ``[h, w]`` slice of the file straight to
``out[t, c]``: the kernel copies from the page cache into the batch once, as a raw read does. And
``BatchPool`` hands a batch buffer out again once nothing outside the pool refers to its memory, so a
trainer that drops each batch after moving it to the device does not fault in new pages every step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from manifests.safetensors_format import DTYPES

_IOV_MAX = max(1, min(os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024, 1024))
_TORCH = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}  # fmt: skip


@dataclass(frozen=True)
class LatentSlab:
    """The window ``[start, start + length)`` (latent frames) of a latent tensor stored at byte ``offset``
    of the file ``path`` (``[T_lat, C, h, w]`` if ``time_major``, else ``[C, T_lat, h, w]``); read on
    demand as ``[length, C, h, w]``."""

    path: str
    offset: int  # byte offset of the tensor's data in the file
    stored_dtype: str  # safetensors dtype code, e.g. "F16"
    full_shape: tuple[int, int, int, int]  # [C, T_lat, h, w] whatever the stored order
    start: int
    length: int
    time_major: bool = False  # stored [T_lat, C, h, w] (layout TCHW)

    def __post_init__(self) -> None:
        if self.stored_dtype not in _TORCH:
            raise ValueError(f"latent dtype {self.stored_dtype} is not readable into a batch")
        C, T, h, w = self.full_shape
        if not (0 <= self.start and self.start + self.length <= T and self.length > 0):
            raise ValueError(f"window [{self.start}, {self.start + self.length}) outside {T} latents")

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """The window's shape [L, C, h, w]."""
        C, _, h, w = self.full_shape
        return (self.length, C, h, w)

    @property
    def dtype(self) -> torch.dtype:
        return _TORCH[self.stored_dtype]

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(DTYPES[self.stored_dtype])

    def read_into(self, out: np.ndarray) -> None:
        """Fill the C-contiguous ``out`` [L, C, h, w] (this dtype, or uint16 for bfloat16) from the file."""
        C, T, h, w = self.full_shape
        L, s = self.length, self.start
        if out.shape != self.shape or out.dtype.itemsize != self.numpy_dtype.itemsize:
            raise ValueError(f"out is {out.dtype} {out.shape}, the window is {self.numpy_dtype} {self.shape}")
        if not out.flags.c_contiguous:
            raise ValueError("out must be C-contiguous")
        plane = h * w * out.dtype.itemsize  # bytes of one [h, w] slice
        flat = out.reshape(L, C, h * w).view(np.uint8).reshape(L, C, plane)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            if self.time_major:  # the window is one contiguous run, in the batch's order
                _preadv_all(fd, [flat.reshape(-1)], self.offset + s * C * plane, self.path)
            elif L == T:  # the whole tensor is one contiguous run: slices in file order (c, t)
                iov = [flat[t, c] for c in range(C) for t in range(L)]
                _preadv_all(fd, iov, self.offset, self.path)
            else:
                for c in range(C):  # channel c's window is contiguous in the file
                    _preadv_all(
                        fd, [flat[t, c] for t in range(L)], self.offset + (c * T + s) * plane, self.path
                    )
        finally:
            os.close(fd)

    def tensor(self) -> torch.Tensor:
        """The window as a new tensor [L, C, h, w] in the stored dtype."""
        out = np.empty(self.shape, np.uint16 if self.stored_dtype == "BF16" else self.numpy_dtype)
        self.read_into(out)
        t = torch.from_numpy(out)
        return t.view(torch.bfloat16) if self.stored_dtype == "BF16" else t


def _preadv_all(fd: int, buffers: list[np.ndarray], offset: int, path: str) -> None:
    """Read consecutive file bytes from ``offset`` into ``buffers`` in order, IOV_MAX at a time."""
    for i in range(0, len(buffers), _IOV_MAX):
        group = buffers[i : i + _IOV_MAX]
        want = sum(b.nbytes for b in group)
        got = os.preadv(fd, group, offset)
        if got < want:  # a short read (rare for regular files): finish buffer by buffer
            got = _finish(fd, group, offset, got)
            if got < want:
                raise OSError(
                    f"{path}: file ends {got} bytes into a {want}-byte latent read at byte {offset}"
                )
        offset += want


def _finish(fd: int, group: list[np.ndarray], offset: int, done: int) -> int:
    pos = 0
    for b in group:
        end = pos + b.nbytes
        while done < end:
            k = os.preadv(fd, [b[done - pos :]], offset + done)
            if k == 0:
                return done
            done += k
        pos = end
    return done


def materialize(latents: torch.Tensor | LatentSlab) -> torch.Tensor:
    """A sample's latents as a tensor [L, C, h, w] (reads a slab; a tensor is returned as it is)."""
    return latents.tensor() if isinstance(latents, LatentSlab) else latents


_use_count = getattr(torch._C, "_storage_Use_Count", None)  # private; without it nothing is reused


class BatchPool:
    """Batch tensors handed out again once only the pool refers to their memory.

    The pool keeps a base tensor per buffer and hands out views of it; any tensor, view or numpy array a
    caller still holds keeps the storage's use count up, so a buffer is reused only when every one of
    them is gone. Where torch lacks the use-count query every call allocates. Not for DataLoader worker
    processes: their batches travel to the parent in shared memory (``collate.empty_batch``).
    """

    def __init__(self, keep: int = 3) -> None:
        self.keep = keep
        self._buffers: dict[tuple[tuple[int, ...], torch.dtype], list[torch.Tensor]] = {}
        self.reused = 0

    def get(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """An uninitialised tensor of ``shape`` and ``dtype`` that nobody else holds."""
        if _use_count is None:
            return torch.empty(shape, dtype=dtype)
        bases = self._buffers.setdefault((tuple(shape), dtype), [])
        for base in bases:
            if _use_count(base.untyped_storage()._cdata) <= 2:  # the base + the temporary storage object
                self.reused += 1
                return base.view(shape)
        if len(bases) >= self.keep:
            return torch.empty(shape, dtype=dtype)
        bases.append(torch.empty(shape, dtype=dtype))
        return bases[-1].view(shape)
