"""The shard writer: readable by stock webdataset, byte-deterministic, never a partial file under its name."""

from __future__ import annotations

import hashlib
import tarfile

import pytest
import webdataset as wds

from wpdata.shards import ShardWriter, write_shard


def _samples() -> list[tuple[str, dict[str, bytes]]]:
    return [
        (f"key{i}", {"json": b'{"i": %d}' % i, "mp4": b"\x00\x00\x00\x18ftypisom" + bytes([i])})
        for i in range(3)
    ]


def test_shard_is_deterministic_and_read_by_webdataset(tmp_path) -> None:
    a = write_shard(tmp_path / "a" / "s-000000.tar", _samples())
    b = write_shard(tmp_path / "b" / "s-000000.tar", list(reversed(_samples())))
    assert a.path.read_bytes() == b.path.read_bytes()
    assert (a.num_samples, a.num_bytes) == (3, a.path.stat().st_size)
    assert a.sha256 == hashlib.sha256(a.path.read_bytes()).hexdigest()
    with tarfile.open(a.path) as tar:
        infos = tar.getmembers()
    assert [m.name for m in infos] == [f"key{i}.{s}" for i in range(3) for s in ("mp4", "json")]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.mode) for m in infos} == {(0, 0, 0, "", 0o444)}
    got = list(wds.WebDataset(str(a.path), shardshuffle=False))
    assert [s["__key__"] for s in got] == ["key0", "key1", "key2"]
    assert got[1]["json"] == b'{"i": 1}'
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["s-000000.tar"]


def test_exception_inside_the_writer_leaves_no_file(tmp_path) -> None:
    path = tmp_path / "s-000001.tar"
    with pytest.raises(RuntimeError, match="killed"), ShardWriter(path) as w:
        w.write("key0", _samples()[0][1])
        raise RuntimeError("killed mid-shard")
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"old complete shard")
    with pytest.raises(RuntimeError), ShardWriter(path) as w:
        w.write("key0", _samples()[0][1])
        raise RuntimeError("killed again")
    assert path.read_bytes() == b"old complete shard"
    assert list(tmp_path.iterdir()) == [path]


def test_bad_keys_and_order_and_members_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="not safe"), ShardWriter(tmp_path / "x.tar") as w:
        w.write("../etc/passwd", {"json": b"{}"})
    with pytest.raises(ValueError, match="keys must increase"), ShardWriter(tmp_path / "x.tar") as w:
        w.write("b", {"json": b"{}"})
        w.write("a", {"json": b"{}"})
    with pytest.raises(ValueError, match="unknown member"), ShardWriter(tmp_path / "x.tar") as w:
        w.write("a", {"exe": b"{}"})
    with pytest.raises(ValueError, match=r"\.tar"):
        ShardWriter(tmp_path / "x.zip")
    assert list(tmp_path.iterdir()) == []


def test_long_keys_fit(tmp_path) -> None:
    key = "k" * 120
    res = write_shard(tmp_path / "long.tar", [(key, {"latent.safetensors": b"x" * 10})])
    (sample,) = list(wds.WebDataset(str(res.path), shardshuffle=False))
    assert sample["__key__"] == key and sample["latent.safetensors"] == b"x" * 10
