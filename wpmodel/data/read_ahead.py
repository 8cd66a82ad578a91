"""A background thread that runs the latent reads of the next batches while this one is handed out.

A batch of time-major latents is a few ``preadv`` calls (the kernel copies from the page cache, with
the GIL released) plus some Python that builds the batch (poses, keys, views: ~30 us a batch). Here the
reads of batch k + 1 .. k + depth run in one thread while the caller uses batch k, so in a trainer the
copies run during the training step (benchmarks/shard_read_speed.py --step-mm: the reader adds 4.7 ms
instead of 27.2 ms to an epoch of 480p step stand-ins). Read on its own it gains little (480p 0.61x ->
0.65x a raw read) or nothing (small latents ~0.75x either way): each answer needs the GIL back while the
caller runs Python, and the copy itself runs slower beside it. Jobs run in submission order; each
``submit`` is answered by exactly one item on its ``done`` queue (None, or the exception the reads
raised), so a caller that waits once per submitted job gets its batches back in order. The thread drops its references to a batch's buffers
before it answers, so a ``BatchPool`` can hand the buffer out again as soon as the consumer drops it.
The thread is started in the process that first submits (DataLoader workers fork without it) and
stops when the object is collected.
"""

from __future__ import annotations

import os
import queue
import threading
import weakref
from typing import Any

import numpy as np

from wpmodel.data.latent_slab import _preadv_all

Job = list[tuple[Any, list[np.ndarray], int]]  # (ShardIndex, buffers, file offset) reads of one batch


class ReadAhead:
    """One reader thread per process, fed jobs of ``preadv`` reads (``wpmodel.data.indexed_batch``)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue | None = None
        self._pid = -1

    def submit(self, reads: Job, done: queue.SimpleQueue) -> None:
        """Run ``reads`` (each ``(index, buffers, offset)``: fill ``buffers`` in order from byte
        ``offset`` of ``index``'s shard) after the jobs before; then put None, or the error, on ``done``."""
        if self._pid != os.getpid():
            self._start()
        assert self._jobs is not None
        self._jobs.put((reads, done))

    @staticmethod
    def wait(done: queue.SimpleQueue) -> None:
        """Block until the oldest job submitted with ``done`` has run; raise what its reads raised."""
        err = done.get()
        if err is not None:
            raise err

    def _start(self) -> None:
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        thread = threading.Thread(target=_serve, args=(jobs,), name="wp-latent-read-ahead", daemon=True)
        thread.start()
        self._jobs, self._pid = jobs, os.getpid()
        weakref.finalize(self, jobs.put, None)  # the thread ends when this object goes

    def __getstate__(self) -> dict[str, Any]:
        return {"_jobs": None, "_pid": -1}  # a copy in another process starts its own thread


def _serve(jobs: queue.SimpleQueue) -> None:
    while (item := jobs.get()) is not None:
        reads, done = item
        item = None
        try:
            for index, buffers, offset in reads:
                _preadv_all(index.fd, buffers, offset, index.url)
            err = None
        except Exception as exc:  # handed to the waiting caller, which raises it
            err = exc
        reads = buffers = index = None  # the batch's buffer is free for reuse once the consumer drops it
        done.put(err)
