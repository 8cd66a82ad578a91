"""The wids index: the format wids reads, relative urls, deterministic bytes."""

from __future__ import annotations

import json

import pytest
import wids

from wpdata.shards import IndexEntry, write_shard, write_wids_index


def test_wids_reads_the_index_and_the_samples(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WIDS_CACHE", str(tmp_path / "cache"))
    entries = []
    for s in range(2):
        samples = [(f"s{s}_k{i}", {"json": b'{"i": %d}' % i}) for i in range(2 + s)]
        res = write_shard(tmp_path / "shards" / f"train-{s:06d}.tar", samples)
        entries.append(IndexEntry(res.path, res.num_samples, res.num_bytes))
    index = write_wids_index(reversed(entries), tmp_path / "shards" / "train.wids.json", "train")
    desc = json.loads(index.read_text())
    assert desc["wids_version"] == 1
    assert [(s["url"], s["nsamples"]) for s in desc["shardlist"]] == [
        ("train-000000.tar", 2),
        ("train-000001.tar", 3),
    ]
    before = index.read_bytes()
    write_wids_index(entries, index, "train")
    assert index.read_bytes() == before
    ds = wids.ShardListDataset(str(index))
    assert len(ds) == 5
    assert ds[0]["__key__"] == "s0_k0" and ds[4]["__key__"] == "s1_k2"


def test_empty_shards_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="no samples"):
        write_wids_index([IndexEntry(tmp_path / "a.tar", 0, 0)], tmp_path / "i.json", "x")
