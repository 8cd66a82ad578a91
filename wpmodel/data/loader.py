"""The trainer's shard reader: WebDataset tar shards -> windowed, collated batches.

Samples come from ``wpmodel.data.tar_reader`` (local shards: mmap + our own header parse, members as
zero-copy views; anything else: webdataset's ``url_opener`` -> ``tar_file_expander`` -> ``group_by_keys``;
suffixes kept as written so ``K.npy`` stays ``K.npy``), shuffled with webdataset's buffered ``_shuffle``. Shards are split
explicitly, not by webdataset's nodesplitter (which reads rank from torch.distributed): the shard list
is permuted by (seed, epoch) identically on every rank, rank r takes ``[r::world_size]`` and DataLoader
worker w of that rank takes ``[w::num_workers]`` of those. So over R ranks x W workers every shard, and
so every sample, is read exactly once per epoch. Ranks may get unequal sample counts (a DDP trainer
should stop all ranks at the shortest, or balance shards by count).

In latents mode a local shard with a sidecar index that matches it (``wpmodel.data.shard_index``) is
read through ``wpmodel.data.indexed``: the same samples, windows, shuffle and batches, built per batch
instead of per sample; other shards (no index, a stale one: counted in ``SkipCounter.index_shards``)
take the per-sample path. ``use_index=False`` reads every shard per sample. Each process keeps the
last 16 indexes it loaded across epochs (``IndexCache``: reused while neither file changed). Indexed batches are built
``block_bytes`` of latents at a time (``wpmodel.data.indexed_batch.iter_indexed_block``; 0: one by one):
the same batches, in the same order. Their time-major latent reads run ``read_ahead`` batches ahead in
a thread (``wpmodel.data.read_ahead``; 0: in the calling thread, as each batch is yielded).

Each worker yields batches and, last, ``{"__stats__": SkipCounter.as_dict()}``; ``Loader`` strips those
and merges them into ``Loader.stats`` (what was skipped, by reason).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from braceexpand import braceexpand
from torch.utils.data import DataLoader, IterableDataset
from webdataset.filters import _shuffle
from webdataset.utils import pytorch_worker_info
from wids.wids_specs import load_dsdesc_and_resolve, urldir

from wpmodel.data.collate import collate
from wpmodel.data.indexed import indexed_samples
from wpmodel.data.indexed_batch import LatentStager, block_batches, iter_indexed_block, settle
from wpmodel.data.latent_slab import BatchPool
from wpmodel.data.read_ahead import ReadAhead
from wpmodel.data.sample import CAPTION_DIM, SampleConfig, decode_sample
from wpmodel.data.shard_index import IndexCache, IndexMismatch, is_indexable
from wpmodel.data.stats import SkipCounter
from wpmodel.data.tar_reader import iter_samples

STATS_KEY = "__stats__"
BLOCK_BYTES = 32 << 20  # indexed latents: batches built together up to this many latent bytes
READ_AHEAD = 2  # indexed time-major latents: batches whose reads run in a thread ahead of the one yielded
Source = str | Path | Sequence[str | Path]


def resolve_shards(source: Source) -> list[str]:
    """Shard urls from a list, a brace pattern (``shard-{000..009}.tar``) or a wids index (``.json``).

    Relative urls in a wids index are resolved against the index's folder (wids' own rule).
    """
    if isinstance(source, (str, Path)):
        s = str(source)
        if s.endswith(".json"):
            if not Path(s).is_file():
                raise FileNotFoundError(f"wids index {s} does not exist")
            spec = load_dsdesc_and_resolve(s, base=urldir(s))
            return [str(d["url"]) for d in spec.get("shardlist", [])]
        return list(braceexpand(s))
    return [str(u) for u in source]


def assign_shards(
    shards: Sequence[str],
    rank: int,
    world_size: int,
    worker: int = 0,
    num_workers: int = 1,
    seed: int = 0,
    epoch: int = 0,
    shuffle: bool = False,
) -> list[str]:
    """The shards of one (rank, worker): an epoch-seeded permutation (if shuffle), then strided splits."""
    if not 0 <= rank < world_size or not 0 <= worker < num_workers:
        raise ValueError(f"bad split: rank {rank} of {world_size}, worker {worker} of {num_workers}")
    order = list(shards)
    if shuffle:
        order = [order[i] for i in np.random.default_rng([seed, epoch]).permutation(len(order))]
    return order[rank::world_size][worker::num_workers]


class ShardReader(IterableDataset):
    """Iterable of collated batches from the shards of this rank (and DataLoader worker).

    ``video`` is uint8 [B, T, 3, H, W] by default: move it to the device and call
    ``wpmodel.data.to_unit_range`` there for float [-1, 1] (``video_dtype="float32"`` does that on the
    CPU, at ~1.6x the reader's time for 256x144 clips and 4x the bytes to pin and transfer).
    """

    def __init__(
        self,
        urls: Source,
        batch_size: int,
        *,
        window_latents: int | None = None,
        latents: bool = False,
        shuffle_buffer: int = 0,
        seed: int = 0,
        epoch: int = 0,
        rank: int | None = None,
        world_size: int | None = None,
        drop_last: bool = False,
        size: tuple[int, int] | None = None,
        random_window: bool = True,
        decode_threads: int = 0,
        caption_dim: int = CAPTION_DIM,
        video_dtype: str = "uint8",
        use_index: bool = True,
        block_bytes: int = BLOCK_BYTES,
        read_ahead: int = READ_AHEAD,
    ) -> None:
        super().__init__()
        if block_bytes < 0:
            raise ValueError(f"block_bytes must be >= 0, got {block_bytes}")
        if read_ahead < 0:
            raise ValueError(f"read_ahead must be >= 0, got {read_ahead}")
        self.block_bytes = block_bytes  # indexed latents: build this many bytes of batches at once
        self.read_ahead = read_ahead  # indexed time-major latents: batches read ahead in a thread
        self._ahead = ReadAhead()  # that thread (started on first use, in the process that uses it)
        self.use_index = use_index  # latents mode: read shards with a matching sidecar index by batch
        self._pool: BatchPool | None = None  # batch buffers of in-process iteration (not pickled)
        self._indexes = IndexCache()  # shard indexes kept across epochs (each process its own)
        self.shards = resolve_shards(urls)
        if not self.shards:
            raise ValueError(f"no shards in {urls!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        dist_rank, dist_world, _, _ = pytorch_worker_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = dist_world if world_size is None else world_size
        self.batch_size, self.drop_last, self.shuffle_buffer = batch_size, drop_last, shuffle_buffer
        self.seed, self.epoch = seed, epoch
        if video_dtype not in ("float32", "uint8"):
            raise ValueError(f"video_dtype must be 'float32' or 'uint8', got {video_dtype!r}")
        self.video_dtype = video_dtype  # "uint8" (default): normalise on the GPU with to_unit_range
        self.cfg = SampleConfig(
            window_latents=window_latents,
            latents=latents,
            random_window=random_window,
            seed=seed,
            size=size,
            decode_threads=decode_threads,
            caption_dim=caption_dim,
        )

    def __getstate__(self) -> dict[str, Any]:
        # DataLoader workers never get the parent's buffers, nor its open index files
        return {**self.__dict__, "_pool": None, "_indexes": IndexCache()}

    def set_epoch(self, epoch: int) -> None:
        """Shard order, shuffle and windows follow (seed, epoch); call before iterating an epoch."""
        self.epoch = epoch

    def worker_shards(self, worker: int = 0, num_workers: int = 1) -> list[str]:
        """The shards this rank's ``worker`` reads this epoch."""
        shuffle = self.shuffle_buffer > 0
        return assign_shards(
            self.shards, self.rank, self.world_size, worker, num_workers, self.seed, self.epoch, shuffle
        )

    def _raw_samples(self, shards: list[str], counter: SkipCounter) -> Iterator[dict[str, Any]]:
        def handler(exc: Exception) -> bool:
            counter.skip(f"read_error:{type(exc).__name__}", str(exc))  # per error, not per shard
            return True

        return iter_samples(shards, handler, skip=("mp4",) if self.cfg.latents else ())  # latents: no mp4

    def _decoded(self, shards: list[str], counter: SkipCounter) -> Iterator[Any]:
        raw = self._raw_samples(shards, counter)
        decoded = (decode_sample(r, self.cfg, counter, self.epoch) for r in raw)
        return (s for s in decoded if s is not None)

    def _indexed(self, shards: list[str], counter: SkipCounter) -> Iterator[Any]:
        """Per shard: indexed samples when its index matches, else the per-sample path."""
        for url in shards:
            index = None
            if is_indexable(url):
                try:
                    index = self._indexes.get(url)
                except (IndexMismatch, OSError) as exc:
                    counter.index_fallback(getattr(exc, "reason", f"error:{type(exc).__name__}"), str(exc))
            if index is None:
                yield from self._decoded([url], counter)
                continue
            counter.index_shards["used"] += 1
            yield from indexed_samples(index, self.cfg, counter, self.epoch)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = torch.utils.data.get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        counter = SkipCounter()
        shards = self.worker_shards(worker, num_workers)
        indexed = self.cfg.latents and self.use_index
        samples = self._indexed(shards, counter) if indexed else self._decoded(shards, counter)
        if self.shuffle_buffer > 1:
            rng = random.Random(f"{self.seed}:{self.epoch}:{self.rank}:{worker}")
            samples = _shuffle(samples, self.shuffle_buffer, self.shuffle_buffer, rng=rng)
        if info is None and self._pool is None:  # in-process batches reuse their buffers, across epochs too
            self._pool = BatchPool(keep=self.read_ahead + 3)  # queued + being filled + the consumer's
        pool, stager = self._pool, LatentStager(self._ahead, self.read_ahead)

        def build(block: list[list[Any]]) -> Iterator[dict[str, Any]]:
            if indexed:
                return iter_indexed_block(block, pool, stager, self.video_dtype)
            return (collate(items, self.video_dtype, pool) for items in block)

        def batches() -> Iterator[dict[str, Any]]:
            batch: list[Any] = []
            block: list[list[Any]] = []  # full batches built together (indexed latents: up to block_bytes)
            per_block = 1
            for s in samples:
                batch.append(s)
                if len(batch) == self.batch_size:
                    if not block and indexed:
                        per_block = block_batches(batch, self.block_bytes)
                    block.append(batch)
                    batch = []
                    if len(block) == per_block:
                        yield from build(block)
                        block = []
            if batch and not self.drop_last:
                block.append(batch)
            if block:
                yield from build(block)

        yield from settle(batches(), stager)  # read-ahead: each batch once its latents are in
        yield {STATS_KEY: counter.as_dict()}


def _as_is(batch: dict[str, Any]) -> dict[str, Any]:
    """The DataLoader's per-item convert step: batches are already tensors (its default walks every
    value, meta dicts included, ~4 ms a batch)."""
    return batch


class Loader:
    """A DataLoader over a ShardReader whose workers' skip counts add up in ``stats`` (cumulative)."""

    def __init__(self, reader: ShardReader, num_workers: int = 0, pin_memory: bool = False) -> None:
        self.reader = reader
        self.stats = SkipCounter()
        self.num_workers = num_workers
        self._loader = DataLoader(
            reader, batch_size=None, num_workers=num_workers, pin_memory=pin_memory, collate_fn=_as_is
        )

    def set_epoch(self, epoch: int) -> None:
        self.reader.set_epoch(epoch)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        # in-process and unpinned, the DataLoader would only hand the reader's batches through (at ~0.1
        # ms a batch, a third of a small latent batch's read): iterate the reader itself
        direct = self.num_workers == 0 and not self._loader.pin_memory
        for item in self.reader if direct else self._loader:
            if STATS_KEY in item:
                self.stats.merge(item[STATS_KEY])
                continue
            yield item


def make_loader(
    urls: Source,
    batch_size: int,
    window_latents: int | None = None,
    latents: bool = False,
    shuffle_buffer: int = 0,
    seed: int = 0,
    epoch: int = 0,
    num_workers: int = 0,
    rank: int | None = None,
    world_size: int | None = None,
    **reader_kwargs: Any,
) -> Loader:
    """A Loader over ``urls`` (list, brace pattern or wids index); rank/world_size default to
    torch.distributed's (or RANK/WORLD_SIZE). Other ShardReader options pass through."""
    reader = ShardReader(
        urls,
        batch_size,
        window_latents=window_latents,
        latents=latents,
        shuffle_buffer=shuffle_buffer,
        seed=seed,
        epoch=epoch,
        rank=rank,
        world_size=world_size,
        **reader_kwargs,
    )
    return Loader(reader, num_workers=num_workers)
