"""The shard's sidecar index: deterministic, describes the tar's members exactly, never stale beside a new tar."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import safetensors.numpy
import webdataset as wds

from manifests.ids import file_sha256
from wpdata.shards import index_path, npy_bytes, write_shard
from wpdata.shards.shard_index import edge_digest


def _sample(i: int, T: int = 9, latent: bool = True) -> dict[str, bytes]:
    rng = np.random.default_rng(i)
    c2w = np.tile(np.eye(4, dtype=np.float32), (T, 1, 1))
    c2w[:, 2, 3] = np.arange(T) * 0.1 + i
    L = (T - 1) // 4 + 1
    m = {
        "c2w.npy": npy_bytes(c2w),
        "K.npy": npy_bytes(np.array([[60.0, 0, 32], [0, 60, 24], [0, 0, 1]], np.float32)),
        "action.npy": npy_bytes(rng.integers(0, 81, L).astype(np.int16)),
        "json": json.dumps({"item_id": f"k{i}", "caption": "c"}).encode(),
    }
    if latent:
        tensors = {"latent": rng.standard_normal((4, L, 3, 5)).astype(np.float16),
                   "caption_embedding": np.full(6, i, np.float32)}  # fmt: skip
        m["latent.safetensors"] = safetensors.numpy.save(tensors)
    return m


def _samples() -> list[tuple[str, dict[str, bytes]]]:
    return [("k0", _sample(0)), ("k1", _sample(1, latent=False)), ("k2", _sample(2, T=13))]


def test_index_is_deterministic_and_locates_every_member(tmp_path) -> None:
    a = write_shard(tmp_path / "a" / "s-000000.tar", _samples(), index=True)
    b = write_shard(tmp_path / "b" / "s-000000.tar", list(reversed(_samples())), index=True)
    ia, ib = index_path(a.path), index_path(b.path)
    assert ia.name == "s-000000.idx.safetensors" and ia.read_bytes() == ib.read_bytes()
    assert a.path.read_bytes() == b.path.read_bytes()
    idx = safetensors.numpy.load(ia.read_bytes())
    with safetensors.safe_open(str(ia), "np") as f:
        meta = f.metadata()
    keys, suffixes = json.loads(meta["keys"]), json.loads(meta["suffixes"])
    assert keys == ["k0", "k1", "k2"] and meta["tar_sha256"] == a.sha256 == file_sha256(a.path)
    assert meta["tar_size"] == str(a.num_bytes) and meta["tar_edge_sha256"] == edge_digest(a.path)
    data = a.path.read_bytes()
    with tarfile.open(a.path) as tar:
        for m in tar.getmembers():
            key, suffix = m.name.split(".", 1)
            i, j = keys.index(key), suffixes.index(suffix)
            assert (idx["member_offset"][i, j], idx["member_size"][i, j]) == (m.offset_data, m.size)
    assert idx["member_size"][1, suffixes.index("latent.safetensors")] == -1
    assert idx["ok"].tolist() == [1, 0, 1] and idx["frames"].tolist() == [9, 0, 13]
    assert np.array_equal(
        idx["c2w"][9:], np.load(io.BytesIO(tarfile.open(a.path).extractfile("k2.c2w.npy").read()))
    )
    assert idx["K"].shape == (22, 3, 3) and (idx["K"][:, 0, 0] == 60).all()
    assert idx["caption"][2].tolist() == [2.0] * 6 and idx["has_caption"].tolist() == [1, 0, 1]
    at, shape = idx["latent_offset"][2], idx["latent_shape"][2]
    lat = np.frombuffer(data, np.float16, int(np.prod(shape)), int(at)).reshape(shape)
    tensors = safetensors.numpy.load(tarfile.open(a.path).extractfile("k2.latent.safetensors").read())
    assert np.array_equal(lat, tensors["latent"])
    got = list(wds.WebDataset(str(a.path), shardshuffle=False))  # the tar is still a plain shard
    assert [s["__key__"] for s in got] == keys


def test_bad_samples_are_marked_for_the_slow_path(tmp_path) -> None:
    nan = _sample(0)
    nan["c2w.npy"] = npy_bytes(np.full((9, 4, 4), np.nan, np.float32))
    f64 = _sample(1)
    f64["c2w.npy"] = npy_bytes(np.tile(np.eye(4), (9, 1, 1)))
    labels = _sample(2)
    labels["action.npy"] = npy_bytes(np.array([0, 1, 99], np.int16))
    short = _sample(3)
    short["action.npy"] = npy_bytes(np.array([0, 1], np.int16))
    broken = _sample(4)
    broken["json"] = b"{not json"
    res = write_shard(tmp_path / "s.tar", [("a", nan), ("b", f64), ("c", labels), ("d", short), ("e", broken), ("f", _sample(5))], index=True)  # fmt: skip
    idx = safetensors.numpy.load(index_path(res.path).read_bytes())
    assert idx["ok"].tolist() == [0, 0, 0, 0, 0, 1] and len(idx["c2w"]) == 9


def test_a_rewritten_shard_never_keeps_the_old_index(tmp_path) -> None:
    path = tmp_path / "s-000000.tar"
    write_shard(path, _samples(), index=True)
    assert index_path(path).exists()
    write_shard(path, _samples()[:1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s-000000.tar"]


def test_time_major_latents_are_indexed_with_their_layout(tmp_path) -> None:
    from wpdata.shards import latent_safetensors

    samples = []
    for i in range(3):
        m = _sample(i, T=13)
        lat = np.random.default_rng(i).standard_normal((4, 4, 3, 5)).astype(np.float16)  # [C, T_lat, h, w]
        if i != 1:  # sample 1 stays channel-major: a second layout in the shard takes the slow path
            m["latent.safetensors"] = latent_safetensors(lat, np.full(6, i, np.float32))
        samples.append((f"k{i}", m))
    res = write_shard(tmp_path / "s.tar", samples, index=True)
    idx = safetensors.numpy.load(index_path(res.path).read_bytes())
    with safetensors.safe_open(str(index_path(res.path)), "np") as f:
        meta = f.metadata()
    assert meta["latent_layout"] == "TCHW" and meta["version"] == "2"
    assert idx["ok"].tolist() == [1, 0, 1] and idx["latent_shape"][2].tolist() == [4, 4, 3, 5]
    at, data = int(idx["latent_offset"][2]), res.path.read_bytes()
    stored = np.frombuffer(data, np.float16, 4 * 4 * 3 * 5, at).reshape(4, 4, 3, 5)  # [T_lat, C, h, w]
    want = np.random.default_rng(2).standard_normal((4, 4, 3, 5)).astype(np.float16).transpose(1, 0, 2, 3)
    assert np.array_equal(stored, want)
