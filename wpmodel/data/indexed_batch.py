"""Batches of indexed samples (``wpmodel.data.indexed``): the batch ``collate`` would give, built with a
few numpy operations per batch instead of per sample.

Actions and captions were cut for the whole shard (``ShardWindows``). Consecutive batches of one window
shape are built together (``iter_indexed_block``; the loader hands over as many as ``block_bytes`` of
latents): their rows are copied out once (one slice per shard they span), their poses gathered and
re-centred once, and each batch gets views of its rows; numpy's cost per call, not per byte, was most of a
small batch's. Each batch's latents still get their own buffer, filled as the batch is yielded: a
block-sized latent buffer falls out of the CPU cache and made the kernel's copy ~35% slower. Latent
windows are read from the tar by offset.
Time-major latents (layout TCHW): each window is one contiguous byte range in the batch's order, so
a run of consecutive samples of one shard is ONE ``preadv`` straight into the batch slots (the few
bytes between two windows, other members and tar headers, land in a scratch buffer; a gap over
``GAP_BYTES`` starts another read): each byte is copied once, by the kernel, as a raw read does.
Channel-major latents (CTHW, shards written before): a run of consecutive samples of one shard whose
latents lie at an equal stride (the usual case without shuffling) is one ``preadv`` of the run into a
reused staging buffer and one transposing copy ``[b, C, L, hw] -> [b, L, C, hw]`` into the batch;
other small windows are read one by one the same way; windows of ``DIRECT_BYTES`` or more are
scattered by ``LatentSlab`` straight into their batch slot (no staging copy; their per-sample cost
is small beside their bytes). A batch that mixes in
per-sample TrainSamples, or shards of other shapes, goes through ``collate`` unchanged.
With a ``ReadAhead`` on the stager, time-major reads are only planned here and run in its thread;
``settle`` hands each batch out once they ran, ``depth`` batches behind (``wpmodel.data.read_ahead``).
"""

from __future__ import annotations

import os
import queue
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from manifests.safetensors_format import DTYPES
from wpmodel.data.collate import _batch_buffer, collate
from wpmodel.data.indexed import Ref, ShardWindows, ref_sample
from wpmodel.data.json_list import JsonList
from wpmodel.data.latent_slab import _TORCH, BatchPool, LatentSlab, _preadv_all
from wpmodel.data.read_ahead import Job, ReadAhead
from wpmodel.data.sample import TrainSample
from wpmodel.data.shard_index import ShardIndex

DIRECT_BYTES = 1 << 20  # CTHW: a latent window at least this big is read straight into its batch slot
GAP_BYTES = 64 << 10  # TCHW: bytes between two windows read (and dropped) rather than split the read
PENDING = "__reads_pending__"  # batch key: its latent reads were submitted to the read-ahead thread
STAGE_BYTES = 256 << 10  # staged reads stay this small when they can, so the staging buffer stays in L2


class LatentStager:
    """Reads latent windows of indexed shards into batch slots through one reused buffer; time-major
    reads go to ``ahead``'s thread, ``depth`` batches ahead of the one handed out, when it is given."""

    def __init__(self, ahead: ReadAhead | None = None, depth: int = 2) -> None:
        self._stage = np.empty(0, np.uint8)
        self._gap = np.empty(GAP_BYTES, np.uint8)  # what lies between two time-major windows
        self.ahead = ahead if depth > 0 else None
        self.depth = depth
        self.done: queue.SimpleQueue = queue.SimpleQueue()  # one answer per job submitted to ``ahead``

    def _buffer(self, nbytes: int) -> np.ndarray:
        if len(self._stage) < nbytes:
            self._stage = np.empty(nbytes, np.uint8)
        return self._stage

    def read_run(
        self, dst: np.ndarray, win: ShardWindows, j0: int, count: int, reads: Job | None = None
    ) -> None:
        """Fill ``dst`` [count, L, C, h, w] with the windows of rows ``j0 .. j0 + count - 1``; time-major
        windows are only planned, onto ``reads``, when it is given (``ReadAhead.submit`` runs them)."""
        index, rows, starts = win.index, win.rows, win.starts
        if index.time_major:
            self._contiguous(dst, win, j0, count, reads)
        elif dst[0].nbytes >= DIRECT_BYTES:
            for b in range(count):
                i, s = int(rows[j0 + b]), int(starts[j0 + b])
                shape = tuple(int(x) for x in index.a["latent_shape"][i])
                off = int(index.a["latent_offset"][i])
                slab = LatentSlab(index.url, off, index.latent_dtype, shape, s, len(dst[b]))
                slab.read_into(dst[b])
        elif count > 1 and win.stride is None:
            for b in range(count):
                self._staged(dst[b : b + 1], index, int(rows[j0 + b]), int(starts[j0 + b]), 0)
        else:
            self._staged(dst, index, int(rows[j0]), int(starts[j0]), win.stride or 0)

    def _contiguous(
        self, dst: np.ndarray, win: ShardWindows, j0: int, count: int, reads: Job | None = None
    ) -> None:
        """Time-major windows of rows ``j0 ..`` straight into ``dst`` [count, L, C, h, w]: one ``preadv``
        per stretch of windows with small gaps between them (the gap bytes go to a scratch buffer, one
        per stager: nobody reads them). With ``reads`` the ``preadv`` calls are appended there instead."""
        at, n = win.at[j0 : j0 + count].tolist(), dst[0].nbytes
        flat = dst.reshape(count, -1).view(np.uint8)  # [count, bytes of a window]
        gap, index = self._gap, win.index
        planned = [] if reads is None else reads
        iov: list[np.ndarray] = []
        start = pos = at[0]
        for b in range(count):
            skip = at[b] - pos
            if skip and not 0 < skip <= len(gap):
                planned.append((index, iov, start))
                iov, start = [], at[b]
            elif skip:
                iov.append(gap[:skip])
            iov.append(flat[b])
            pos = at[b] + n
        planned.append((index, iov, start))
        if reads is None:
            for idx, buffers, offset in planned:
                _preadv_all(idx.fd, buffers, offset, idx.url)

    def _staged(self, dst: np.ndarray, index: ShardIndex, i: int, s: int, stride: int) -> None:
        """Windows of ``len(dst)`` samples from sample ``i`` on, ``stride`` bytes apart in the tar, read
        through the staging buffer (a few samples a read) and transposed into ``dst`` [k, L, C, h, w]."""
        count, L, C, h, w = dst.shape
        T = int(index.a["latent_shape"][i, 1])
        dt = np.dtype(DTYPES[index.latent_dtype])
        plane = h * w * dt.itemsize  # bytes of one [h, w] slice
        span = ((C - 1) * T + L) * plane  # channel 0's window start .. channel C-1's window end
        per = max(1, min(count, (STAGE_BYTES - span) // stride + 1 if stride else 1))  # samples a read
        first = int(index.a["latent_offset"][i]) + s * plane
        out = dst.view(dt).reshape(count, L, C, h * w)
        for b0 in range(0, count, per):
            k = min(per, count - b0)
            total, at = (k - 1) * stride + span, first + b0 * stride
            stage = self._buffer(total)
            got = os.preadv(index.fd, [memoryview(stage)[:total]], at)
            if got != total:
                raise OSError(
                    f"{index.url}: file ends {got} bytes into a {total}-byte latent read at byte {at}"
                )
            src = np.ndarray((k, C, L, h * w), dt, stage, 0, (stride, T * plane, plane, dt.itemsize))
            out[b0 : b0 + k] = src.transpose(0, 2, 1, 3)  # [k, L, C, hw]


def _runs(refs: list[Ref]) -> list[tuple[ShardWindows, int, int, int]]:
    """(windows, first row, count, first batch position) of each run of consecutive rows of one shard."""
    runs: list[list[Any]] = []
    for b, (win, j) in enumerate(refs):
        last = runs[-1] if runs else None
        if last is not None and last[0] is win and last[1] + last[2] == j:
            last[2] += 1
        else:
            runs.append([win, j, 1, b])
    return [tuple(r) for r in runs]


def block_batches(batch: list[TrainSample | Ref], block_bytes: int) -> int:
    """How many batches like ``batch`` to build in one go: as many as fit ``block_bytes`` of latents (at
    least one); one where ``batch`` does not go the indexed way (per-sample items, mixed shapes)."""
    sig = _signature(batch)
    if sig is None:
        return 1
    L, C, h, w, _, code = sig
    nbytes = len(batch) * L * C * h * w * np.dtype(DTYPES[code]).itemsize
    return max(1, block_bytes // max(1, nbytes))


def _split_runs(runs: list[tuple], sizes: list[int]) -> list[list[tuple]]:
    """The runs of a block (``_runs``) cut at its batches' boundaries, positions relative to each batch."""
    out: list[list[tuple]] = [[] for _ in sizes]
    ends = np.cumsum(sizes).tolist()
    k, start = 0, 0  # batch k covers block positions [start, ends[k])
    for win, j0, count, b0 in runs:
        while count:
            while b0 >= ends[k]:
                start, k = ends[k], k + 1
            take = min(count, ends[k] - b0)
            out[k].append((win, j0, take, b0 - start))
            j0, count, b0 = j0 + take, count - take, b0 + take
    return out


def iter_indexed_block(
    batches: list[list[TrainSample | Ref]],
    pool: BatchPool | None,
    stager: LatentStager,
    video_dtype: str = "uint8",
) -> Iterator[dict[str, Any]]:
    """The batches ``collate`` gives for each of ``batches``. Poses, actions, captions, keys and metadata
    are cut for all of them at once (each batch gets views of its rows: numpy's cost per call, not per
    byte, is most of a small batch's); each batch's latents are read into its own buffer when it is
    yielded, so the buffer stays small enough for the CPU cache and goes back to ``pool`` in time."""
    groups: list[tuple[Any, list[list[Any]]]] = []  # consecutive batches of one signature (None: mixed)
    for b in batches:
        sig = _signature(b)
        if groups and sig is not None and groups[-1][0] == sig:
            groups[-1][1].append(b)
        else:
            groups.append((sig, [b]))
    for sig, group in groups:
        if sig is None:
            items = group[0]
            yield collate(
                [x if isinstance(x, TrainSample) else ref_sample(x) for x in items], video_dtype, pool
            )
        else:
            yield from _uniform_block(group, sig, pool, stager)


def _signature(batch: list[TrainSample | Ref]) -> tuple | None:
    """The windows' common signature when every item of ``batch`` is indexed and they all have one."""
    if any(type(x) is not tuple for x in batch):
        return None
    sigs = {x[0].signature for x in batch}
    return sigs.pop() if len(sigs) == 1 else None


def _uniform_block(
    batches: list[list[Ref]], sig: tuple, pool: BatchPool | None, stager: LatentStager
) -> Iterator[dict[str, Any]]:
    """``iter_indexed_block`` for batches of indexed windows of one signature ``sig``."""
    refs = [x for b in batches for x in b]
    (L, C, h, w, _, code), B = sig, len(refs)
    runs = _runs(refs)
    fields = ("actions", "caption", "has_caption")
    if len(runs) == 1:
        win, j0, _, _ = runs[0]
        out = {f: getattr(win, f)[j0 : j0 + B].copy() for f in fields}
        out["c2w"], out["K"] = win.poses(j0, B)
    else:
        first = runs[0][0]
        out = {f: np.empty((B, *getattr(first, f).shape[1:]), getattr(first, f).dtype) for f in fields}
        n = first.frames.shape[1]
        out["c2w"], out["K"] = np.empty((B, n, 4, 4), np.float32), np.empty((B, n, 3, 3), np.float32)
        for win, j0, count, b0 in runs:
            for f in fields:
                out[f][b0 : b0 + count] = getattr(win, f)[j0 : j0 + count]
            out["c2w"][b0 : b0 + count], out["K"][b0 : b0 + count] = win.pose_views(j0, count)
    keys, meta, starts = [], [], np.empty(B, np.int64)  # [B]
    for win, j0, count, b0 in runs:
        rows, index = win.rows[j0 : j0 + count].tolist(), win.index
        keys += [index.keys[i] for i in rows]
        meta += index.json_bytes(rows)
        starts[b0 : b0 + count] = 4 * win.starts[j0 : j0 + count]
    tensors = {
        "c2w": torch.from_numpy(out["c2w"]),  # [B, n, 4, 4]
        "K": torch.from_numpy(out["K"]),  # [B, n, 3, 3]
        "actions": torch.from_numpy(out["actions"]),  # [B, L]
        "caption_embedding": torch.from_numpy(out["caption"]),  # [B, D]
        "has_caption": torch.from_numpy(out["has_caption"]),  # [B]
        "window_start": torch.from_numpy(starts),  # [B]
    }
    sizes = [len(b) for b in batches]
    parts = {name: t.split(sizes) for name, t in tensors.items()}  # per batch, views of the block's rows
    bf16, b0 = code == "BF16", 0
    ahead = stager.ahead
    for k, (size, batch_runs) in enumerate(zip(sizes, _split_runs(runs, sizes), strict=True)):
        lat = _batch_buffer((size, L, C, h, w), torch.int16 if bf16 else _TORCH[code], pool)
        dst = lat.numpy()
        reads: Job | None = [] if ahead is not None else None
        for win, j0, count, c0 in batch_runs:
            stager.read_run(dst[c0 : c0 + count], win, j0, count, reads)
        batch = {"latents": lat.view(torch.bfloat16) if bf16 else lat}  # [size, L, C, h, w]
        batch.update({name: p[k] for name, p in parts.items()})
        batch["keys"], batch["meta"] = keys[b0 : b0 + size], JsonList(meta[b0 : b0 + size])
        b0 += size
        del lat, dst
        if reads:  # one answer per marked batch; settle waits for the marked ones, in order
            ahead.submit(reads, stager.done)
            batch[PENDING] = True
        del reads
        yield batch


def settle(batches: Iterator[dict[str, Any]], stager: LatentStager) -> Iterator[dict[str, Any]]:
    """``batches`` in order, each once its queued latent reads have run, held back ``stager.depth``
    batches so that the reads of the next ones run while this one is used (and while the next block's
    samples are cut). Without a read-ahead thread the batches pass as they come."""
    if stager.ahead is None:
        yield from batches
        return
    pending: deque[dict[str, Any]] = deque()
    for batch in batches:
        pending.append(batch)
        if len(pending) > stager.depth:
            yield _settled(pending.popleft(), stager)
    while pending:
        yield _settled(pending.popleft(), stager)


def _settled(batch: dict[str, Any], stager: LatentStager) -> dict[str, Any]:
    if batch.pop(PENDING, False):
        stager.ahead.wait(stager.done)
    return batch
