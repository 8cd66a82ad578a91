import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import webdataset as wds

from wpmodel.data.loader import assign_shards, make_loader, resolve_shards
from wpmodel.data.sample import SampleConfig, parse_sample

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata" / "wds_shards"


def _keys(loader) -> list[str]:
    return [k for batch in loader for k in batch["keys"]]


def test_assign_shards_partitions_every_epoch() -> None:
    shards = [f"s{i:02d}" for i in range(11)]
    for epoch in range(3):
        parts = [
            assign_shards(shards, r, 2, w, 3, seed=7, epoch=epoch, shuffle=True)
            for r in range(2)
            for w in range(3)
        ]
        assert sorted(s for p in parts for s in p) == shards
    assert assign_shards(shards, 1, 2, 0, 1) == shards[1::2]
    with pytest.raises(ValueError, match="rank 2 of 2"):
        assign_shards(shards, 2, 2)


@pytest.mark.parametrize("epoch", [0, 1])
def test_two_ranks_two_workers_see_each_sample_once(kit: SimpleNamespace, epoch: int) -> None:
    paths, keys = kit.shard_set(6, 3, T=21, mp4=False)
    seen, total_ok = [], 0
    for rank in range(2):
        loader = make_loader(
            [str(p) for p in paths],
            2,
            window_latents=4,
            latents=True,
            shuffle_buffer=4,
            seed=1,
            epoch=epoch,
            num_workers=2,
            rank=rank,
            world_size=2,
        )
        for batch in loader:
            assert batch["latents"].shape[1:] == (4, kit.C_LAT, kit.H // 8, kit.W // 8)
            assert batch["c2w"].shape[1:] == (13, 4, 4) and batch["actions"].shape[1:] == (4,)
            seen += batch["keys"]
        total_ok += loader.stats.samples_ok
        assert loader.stats.num_skipped == 0
    assert sorted(seen) == sorted(keys) and total_ok == len(keys)


def test_shuffle_follows_seed_and_epoch(kit: SimpleNamespace) -> None:
    paths, keys = kit.shard_set(4, 4, T=21, mp4=False)
    order = {}
    for epoch in (0, 0, 1):
        loader = make_loader(
            paths, 3, latents=True, shuffle_buffer=6, seed=2, epoch=epoch, rank=0, world_size=1
        )
        order.setdefault(epoch, []).append(_keys(loader))
    assert order[0][0] == order[0][1] and sorted(order[0][0]) == sorted(keys)
    assert order[1][0] != order[0][0] and sorted(order[1][0]) == sorted(keys)
    assert _keys(make_loader(paths, 3, latents=True, rank=0, world_size=1)) == keys  # no shuffle: shard order


def test_mp4_batches_and_wids_index(kit: SimpleNamespace) -> None:
    paths, keys = kit.shard_set(2, 3, T=25)
    index = kit.tmp / "train.wids.json"
    shardlist = [{"url": f"shards/{p.name}", "nsamples": 3} for p in paths]
    index.write_text(json.dumps({"wids_version": 1, "shardlist": shardlist}))
    assert resolve_shards(index) == [str(p) for p in paths]
    loader = make_loader(index, 4, window_latents=4, rank=0, world_size=1)
    batches = list(loader)
    assert [len(b["keys"]) for b in batches] == [4, 2] and _keys(loader) == keys
    b = batches[0]
    assert b["video"].shape == (4, 13, 3, kit.H, kit.W) and b["K"].shape == (4, 13, 3, 3)
    assert b["caption_embedding"].shape == (4, kit.D_CAP) and b["has_caption"].all()
    assert b["window_start"].tolist() == [0, 0, 0, 0]  # 7 latents: one chunk-aligned window of 4
    dropped = make_loader(index, 4, window_latents=4, rank=0, world_size=1, drop_last=True)
    assert [len(b["keys"]) for b in dropped] == [4]


def test_mixed_lengths_in_a_batch_raise(kit: SimpleNamespace) -> None:
    a = kit.write_tar(kit.tmp / "a.tar", [("x21", kit.sample("x21", 21, mp4=False))])
    b = kit.write_tar(kit.tmp / "b.tar", [("y25", kit.sample("y25", 25, mp4=False))])
    with pytest.raises(ValueError, match=r"different latents shapes.*x21.*y25"):
        list(make_loader([a, b], 2, latents=True, rank=0, world_size=1))
    assert len(list(make_loader([a, b], 2, window_latents=4, latents=True, rank=0, world_size=1))) == 1


def test_unreadable_shards_are_counted(kit: SimpleNamespace) -> None:
    paths, keys = kit.shard_set(1, 2, T=21, mp4=False)
    garbage = kit.tmp / "garbage.tar"
    garbage.write_bytes(b"this is not a tar file at all" * 40)
    cut = kit.tmp / "cut.tar"
    cut.write_bytes(paths[0].read_bytes()[:1500])  # header of the first member, its data cut short
    loader = make_loader(
        [garbage, paths[0], cut, kit.tmp / "missing.tar"], 1, latents=True, rank=0, world_size=1
    )
    assert _keys(loader) == keys
    assert set(loader.stats.skipped) == {"read_error:ReadError", "read_error:FileNotFoundError"}
    assert (
        loader.stats.samples_ok == 2
        and "missing.tar" in loader.stats.examples["read_error:FileNotFoundError"]
    )


def test_stock_webdataset_samples_parse(kit: SimpleNamespace) -> None:
    paths, keys = kit.shard_set(1, 2, T=21)
    raws = list(wds.WebDataset([str(p) for p in paths], shardshuffle=False, empty_check=False))
    assert "k.npy" in raws[0]  # stock reader lower-cases suffixes
    samples = [parse_sample(r, SampleConfig(window_latents=4)) for r in raws]
    assert [s.key for s in samples] == keys and samples[0].video.shape == (13, 3, kit.H, kit.W)


def test_reads_the_project_writer_shards(kit: SimpleNamespace) -> None:
    shards = pytest.importorskip("wpdata.shards", reason="wpdata.shards (the writer) not importable")
    result = shards.write_shard(kit.tmp / "w" / "shard-000.tar", [(k, kit.sample(k, 21)) for k in ("b", "a")])
    loader = make_loader([result.path], 2, window_latents=4, rank=0, world_size=1)
    assert _keys(loader) == ["a", "b"] and loader.stats.num_skipped == 0


def test_real_foreign_shards_are_skipped_with_counts() -> None:
    urls = sorted(REALDATA.glob("clip_retrieval/*.tar")) + sorted(REALDATA.glob("webdataset_testdata/*.t*"))
    if not urls:
        pytest.skip(f"real WebDataset shards not found under {REALDATA}")
    loader = make_loader(urls, 4, num_workers=2, rank=0, world_size=1)
    assert list(loader) == []
    st = loader.stats
    assert st.samples_ok == 0 and st.samples_read == 204 and st.num_skipped == 204
    assert st.skipped == {"missing:mp4+c2w.npy+K.npy+action.npy+json": 204}
    assert st.unknown_members == {"jpg": 11, "txt.gz": 3, "mp": 100, "cls": 90, "png": 90}
