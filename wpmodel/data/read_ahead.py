"""A background thread that runs the latent reads of the next batches while this one is handed out.

A batch of small time-major latents is a few ``preadv`` calls (the kernel copies from the page cache,
with the GIL released) plus some Python that builds the batch (poses, keys, views: ~30 us a batch). Done
one after the other, that Python made the reader 0.70x a raw read of the same bytes on small latents.
Here the reads of batch k + 1 .. k + depth run in one thread while the caller builds and yields batch k,
so on two cores the Python hides behind the copies, and in a trainer the copies run while the training
step holds the main thread. Jobs run in submission order; each ``submit`` is answered by exactly one
item on its ``done`` queue (None, or the exception the reads raised), so a caller that waits once per
submitted batch gets its batches back in order. The thread drops its references to a batch's buffers
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
