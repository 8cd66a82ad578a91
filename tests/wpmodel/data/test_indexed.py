"""Latent batches through a shard's sidecar index equal the per-sample reader's, and a stale index is not used."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wpdata.shards import index_path, write_shard
from wpmodel.data.loader import make_loader


def _indexed_set(
    kit: SimpleNamespace, n_shards: int, per_shard: int, T: int = 21, bad: bool = False
) -> list[str]:
    """Shards written by the project's writer with their index; with ``bad``, shard 0 also holds a
    sample with float64 poses (the index's slow path), one with non-finite poses and one too short."""
    paths = []
    for s in range(n_shards):
        samples = [(f"s{s:02d}_{j:02d}", kit.sample(f"s{s:02d}_{j:02d}", T, mp4=False, seed=s * 100 + j))
                   for j in range(per_shard)]  # fmt: skip
        if bad and s == 0:
            f64 = kit.sample("s00_x64", T, mp4=False, seed=7)
            f64["c2w.npy"] = kit.npy(kit.poses(T, 7).astype(np.float64))
            nan = kit.sample("s00_xnan", T, mp4=False, seed=8)
            nan["c2w.npy"] = kit.npy(np.full((T, 4, 4), np.nan, np.float32))
            samples += [
                ("s00_x64", f64),
                ("s00_xnan", nan),
                ("s00_xshort", kit.sample("s00_xshort", 1, mp4=False)),
            ]
        paths.append(str(write_shard(kit.tmp / "idx" / f"shard-{s:04d}.tar", samples, index=True).path))
    return paths


@pytest.mark.parametrize(
    "opts",
    [
        {"window_latents": None},  # whole samples (no short one: its shape would not batch)
        {"window_latents": 2, "seed": 3, "epoch": 1},
        {"window_latents": 4, "shuffle_buffer": 5, "seed": 1, "batch_size": 4},
    ],
)
def test_index_and_per_sample_paths_give_identical_batches(kit: SimpleNamespace, opts: dict) -> None:
    bad = opts["window_latents"] is not None
    paths = _indexed_set(kit, 3, 4, bad=bad)
    fast, fast_stats = kit.batches(paths, True, **opts)
    slow, slow_stats = kit.batches(paths, False, **opts)
    kit.assert_same(fast, slow)
    assert fast_stats.index_shards == {"used": 3} and not slow_stats.index_shards
    for name in ("samples_read", "samples_ok", "skipped", "unknown_members", "examples"):
        assert getattr(fast_stats, name) == getattr(slow_stats, name), name
    if bad:
        assert set(fast_stats.skipped) == {"bad:c2w.npy", "shorter_than_window"}
        assert fast_stats.samples_ok == 3 * 4 + 1  # the float64 sample is read the slow way, not lost
    starts = {s for b in fast for s in b["window_start"].tolist()}
    assert starts <= {0, 16} and (opts["window_latents"] != 2 or starts == {0, 16})


def test_bfloat16_latents_without_captions(kit: SimpleNamespace) -> None:
    import safetensors.torch

    samples = []
    for j in range(4):
        m = kit.sample(f"k{j}", 13, mp4=False, caption=False, seed=j)
        lat = torch.arange(4 * 4 * 6 * 8, dtype=torch.float32).reshape(4, 4, 6, 8) + j
        m["latent.safetensors"] = safetensors.torch.save({"latent": lat.to(torch.bfloat16)})
        samples.append((f"k{j}", m))
    paths = [str(write_shard(kit.tmp / "bf" / "shard-0000.tar", samples, index=True).path)]
    fast, stats = kit.batches(paths, True, batch_size=3)
    slow, _ = kit.batches(paths, False, batch_size=3)
    kit.assert_same(fast, slow)
    assert stats.index_shards == {"used": 1}
    assert fast[0]["latents"].dtype == torch.bfloat16 and not fast[0]["has_caption"].any()
    assert fast[0]["caption_embedding"].shape == (3, 384)


def test_stale_or_broken_index_is_ignored_with_a_counted_reason(kit: SimpleNamespace, tmp_path: Path) -> None:
    paths = _indexed_set(kit, 2, 3)
    old = tmp_path / "old.idx"
    shutil.copy(index_path(paths[0]), old)
    samples = [(f"s00_{j:02d}", kit.sample(f"s00_{j:02d}", 21, mp4=False, seed=50 + j)) for j in range(3)]
    write_shard(paths[0], samples, index=False)  # same names and sizes, other poses; the index is removed
    assert not index_path(paths[0]).exists()
    shutil.copy(old, index_path(paths[0]))  # an old index put back beside the new tar
    fast, stats = kit.batches(paths, True, window_latents=4)
    slow, _ = kit.batches(paths, False, window_latents=4)
    kit.assert_same(fast, slow)
    assert stats.index_shards == {"stale:digest": 1, "used": 1} and stats.num_skipped == 0
    assert "not the tar this index describes" in stats.examples["index:stale:digest"]
    Path(index_path(paths[1])).write_bytes(b"garbage")
    with open(paths[0], "ab") as f:
        f.write(b"\0" * 1024)
    _, stats = kit.batches(paths, True, window_latents=4)
    assert stats.index_shards == {"stale:size": 1, "bad": 1} and stats.samples_ok == 6


def test_missing_index_is_counted_and_read_per_sample(kit: SimpleNamespace) -> None:
    paths, keys = kit.shard_set(2, 2, T=21, mp4=False)
    batches, stats = kit.batches([str(p) for p in paths], True, window_latents=4)
    assert sorted(k for b in batches for k in b["keys"]) == sorted(keys)
    assert stats.index_shards == {"missing": 2} and stats.num_skipped == 0


@pytest.mark.parametrize("epoch", [0, 1])
def test_two_ranks_two_workers_see_each_indexed_sample_once(kit: SimpleNamespace, epoch: int) -> None:
    paths = _indexed_set(kit, 6, 3)
    seen, used = [], 0
    for rank in range(2):
        loader = make_loader(paths, 2, window_latents=4, latents=True, shuffle_buffer=4, seed=1, epoch=epoch,
                             num_workers=2, rank=rank, world_size=2)  # fmt: skip
        for batch in loader:
            assert batch["latents"].shape[1:] == (4, kit.C_LAT, kit.H // 8, kit.W // 8)
            seen += batch["keys"]
        used += loader.stats.index_shards["used"]
        assert loader.stats.num_skipped == 0
    assert sorted(seen) == sorted(f"s{s:02d}_{j:02d}" for s in range(6) for j in range(3)) and used == 6


@pytest.mark.parametrize("direct, stage", [(1, 256 << 10), (1 << 20, 1)])
def test_direct_and_chunked_latent_reads_match(
    kit: SimpleNamespace, monkeypatch, direct: int, stage: int
) -> None:
    import wpmodel.data.indexed_batch as ib

    monkeypatch.setattr(ib, "DIRECT_BYTES", direct)  # 1: every window scattered straight into its slot
    monkeypatch.setattr(ib, "STAGE_BYTES", stage)  # 1: one sample per staged read
    paths = _indexed_set(kit, 2, 5)
    fast, stats = kit.batches(paths, True, window_latents=4, batch_size=4)
    slow, _ = kit.batches(paths, False, window_latents=4, batch_size=4)
    kit.assert_same(fast, slow)
    assert stats.index_shards == {"used": 2}


@pytest.mark.parametrize("block_bytes", [0, 40_000, 1 << 30])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_built_in_blocks_equal_batches_built_one_by_one(
    kit: SimpleNamespace, block_bytes: int, drop_last: bool
) -> None:
    """Blocks of batches (poses, actions, captions cut for several batches at once) give the batches the
    per-sample path gives, across shard ends, shuffled samples, a shard's odd samples and a short last batch."""
    paths = _indexed_set(kit, 3, 5, bad=True)
    opts = {"window_latents": 4, "shuffle_buffer": 3, "seed": 2, "batch_size": 3, "drop_last": drop_last}
    fast, stats = kit.batches(paths, True, block_bytes=block_bytes, **opts)
    slow, _ = kit.batches(paths, False, **opts)
    kit.assert_same(fast, slow)
    assert stats.index_shards == {"used": 3}
    assert len(fast[-1]["keys"]) == (3 if drop_last else 1)  # 3 * 5 + 1 samples read (the float64 one too)
    batch_bytes = 3 * 4 * kit.C_LAT * (kit.H // 8) * (kit.W // 8) * 2  # three float16 windows
    ptrs = [b["c2w"].untyped_storage().data_ptr() for b in fast]
    shared = any(a == b for a, b in zip(ptrs[:-1], ptrs[1:], strict=True))  # batches of one block share
    assert shared == (block_bytes >= 2 * batch_bytes)


def test_block_runs_are_cut_at_batch_boundaries() -> None:
    from wpmodel.data.indexed_batch import _split_runs

    a, b = object(), object()
    runs = [(a, 0, 5, 0), (b, 3, 1, 5), (a, 9, 4, 6)]  # block positions 0-4, 5, 6-9
    assert _split_runs(runs, [3, 3, 4]) == [
        [(a, 0, 3, 0)],
        [(a, 3, 2, 0), (b, 3, 1, 2)],
        [(a, 9, 4, 0)],
    ]
    assert _split_runs(runs, [10]) == [runs]


def test_indexes_are_kept_across_epochs_until_their_shard_changes(kit: SimpleNamespace) -> None:
    from wpmodel.data.shard_index import IndexCache

    paths = _indexed_set(kit, 2, 3)
    loader = make_loader(paths, 3, latents=True, rank=0, world_size=1, window_latents=4)
    first = list(loader)
    kept = loader.reader._indexes.get(paths[0])
    for b in first:  # a trainer writing into its batches must not reach the kept index
        b["c2w"].fill_(7.0)
        b["K"].fill_(7.0)
        b["caption_embedding"].fill_(7.0)
    again = list(loader)
    assert loader.reader._indexes.get(paths[0]) is kept
    assert loader.stats.index_shards == {"used": 4}  # 2 shards x 2 epochs
    fresh, _ = kit.batches(paths, True, window_latents=4)
    kit.assert_same(again, fresh)
    samples = [(f"s00_{j:02d}", kit.sample(f"s00_{j:02d}", 21, mp4=False, seed=90 + j)) for j in range(3)]
    write_shard(paths[0], samples, index=True)  # same names and sizes, other poses and latents
    changed = list(loader)
    assert loader.reader._indexes.get(paths[0]) is not kept
    kit.assert_same(changed, kit.batches(paths, True, window_latents=4)[0])
    assert not torch.equal(changed[0]["c2w"], again[0]["c2w"])
    cache = IndexCache(size=1)
    a = cache.get(paths[0])
    assert cache.get(paths[0]) is a and cache.get(paths[1]) is not a and cache.get(paths[0]) is not a


def test_kept_poses_follow_the_windows_of_each_epoch(kit: SimpleNamespace) -> None:
    """The re-centred poses kept on an index are reused only for the same windows: epochs whose random
    windows differ, and epochs that cut the same ones again, match a fresh per-sample read."""
    paths = _indexed_set(kit, 2, 4, T=41)  # 11 latents: windows of 2 start at 0, 4 or 8
    loader = make_loader(paths, 3, latents=True, rank=0, world_size=1, window_latents=2, seed=5)
    index = loader.reader._indexes
    starts, keys = [], set()
    for epoch in (0, 1, 1, 2, 0):
        loader.set_epoch(epoch)
        got = list(loader)
        kit.assert_same(got, kit.batches(paths, False, window_latents=2, seed=5, epoch=epoch)[0])
        starts.append(torch.cat([b["window_start"] for b in got]).tolist())
        keys.add(index.get(paths[0]).poses_kept[0])
    assert starts[1] == starts[2] and starts[0] == starts[4] and starts[0] != starts[1]
    assert len(keys) >= 2  # the kept poses changed with the windows
