"""Latent reads run ahead in a thread: the same batches in the same order, errors reach the caller, and
an epoch left midway leaves nothing behind that changes the next one."""

from __future__ import annotations

import gc
import queue
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from wpdata.shards import latent_safetensors, write_shard
from wpmodel.data.loader import make_loader
from wpmodel.data.read_ahead import ReadAhead


def _shards(kit: SimpleNamespace, n_shards: int = 3, per_shard: int = 5) -> list[str]:
    """Indexed shards of 21-frame samples with time-major random latents (the reads the thread runs)."""
    out, rng = [], np.random.default_rng(0)
    for s in range(n_shards):
        samples = []
        for j in range(per_shard):
            key = f"r{s}_{j}"
            members = kit.sample(key, 21, mp4=False, latent=False, caption=False, seed=10 * s + j)
            lat = rng.standard_normal((kit.C_LAT, 6, kit.H // 8, kit.W // 8)).astype(np.float16)
            cap = rng.standard_normal(kit.D_CAP).astype(np.float32)
            samples.append((key, members | {"latent.safetensors": latent_safetensors(lat, cap)}))
        out.append(str(write_shard(kit.tmp / "ra" / f"shard-{s:04d}.tar", samples, index=True).path))
    return out


@pytest.mark.parametrize("block_bytes", [0, 40_000, 1 << 30])
def test_read_ahead_gives_the_batches_read_in_turn(kit: SimpleNamespace, block_bytes: int) -> None:
    paths = _shards(kit)
    opts = {"window_latents": 4, "shuffle_buffer": 4, "seed": 5, "batch_size": 2, "block_bytes": block_bytes}
    in_turn, _ = kit.batches(paths, True, read_ahead=0, **opts)
    for depth in (1, 2, 7):
        ahead, stats = kit.batches(paths, True, read_ahead=depth, **opts)
        kit.assert_same(ahead, in_turn)
        assert stats.index_shards == {"used": 3} and not stats.skipped
    slow, _ = kit.batches(paths, False, **opts)  # and the per-sample path's batches
    kit.assert_same(in_turn, slow)


def test_each_batch_is_handed_out_only_once_its_reads_ran(
    kit: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With reads made slow, the latents seen at the moment each batch is handed out are already whole."""
    import time

    import wpmodel.data.read_ahead as ra

    def slow(*args: object) -> None:
        time.sleep(0.02)
        preadv_all(*args)

    preadv_all = ra._preadv_all
    monkeypatch.setattr(ra, "_preadv_all", slow)
    paths = _shards(kit, 2, 4)
    loader = make_loader(paths, 2, latents=True, rank=0, world_size=1, window_latents=4, read_ahead=2)
    seen = [{**b, "latents": b["latents"].clone()} for b in loader]  # copied as it is handed out
    in_turn, _ = kit.batches(paths, True, batch_size=2, window_latents=4, read_ahead=0)
    kit.assert_same(seen, in_turn)


def test_an_epoch_left_midway_does_not_touch_the_next(kit: SimpleNamespace) -> None:
    """Batches still queued when a consumer stops are dropped; their buffers are not handed out while
    the thread may still write them, and the next epoch is the epoch a fresh loader reads."""
    paths = _shards(kit, 2, 6)
    loader = make_loader(paths, 2, latents=True, rank=0, world_size=1, window_latents=4, read_ahead=3)
    it = iter(loader)
    first = next(it)
    kept = first["latents"].clone()
    it.close()
    del it
    gc.collect()
    again = list(loader)
    assert np.array_equal(first["latents"].numpy(), kept.numpy())  # held by us: never refilled
    fresh = list(make_loader(paths, 2, latents=True, rank=0, world_size=1, window_latents=4, read_ahead=0))
    kit.assert_same(again, fresh)
    assert loader.reader._pool.reused >= 1  # buffers do come back once nobody holds them


def test_read_errors_reach_the_waiting_caller_in_order(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(bytes(range(100)))
    import os

    fd = os.open(path, os.O_RDONLY)
    try:
        index = SimpleNamespace(fd=fd, url=str(path))
        ahead, done = ReadAhead(), queue.SimpleQueue()
        good, bad, after = np.empty(10, np.uint8), np.empty(50, np.uint8), np.empty(4, np.uint8)
        ahead.submit([(index, [good], 5)], done)
        ahead.submit([(index, [bad], 80)], done)  # 50 bytes from byte 80 of a 100-byte file
        ahead.submit([(index, [after], 0)], done)
        ahead.wait(done)
        assert good.tolist() == list(range(5, 15))
        with pytest.raises(OSError, match="file ends 20 bytes into a 50-byte latent read at byte 80"):
            ahead.wait(done)
        ahead.wait(done)  # the thread goes on after a failed job
        assert after.tolist() == [0, 1, 2, 3]
    finally:
        os.close(fd)


def test_negative_read_ahead_is_refused(kit: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="read_ahead must be >= 0"):
        make_loader(_shards(kit, 1, 2), 2, latents=True, rank=0, world_size=1, read_ahead=-1)
