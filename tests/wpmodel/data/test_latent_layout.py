"""Time-major (TCHW) and channel-major (CTHW) latent files give the same windows and batches, on every path
(slab, in-memory member, indexed shard, per-sample shard), and a shard mixing both is read right."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

from wpdata.shards import latent_safetensors, write_shard
from wpmodel.data.latent_slab import LatentSlab
from wpmodel.data.safetensors_view import safetensors_header
from wpmodel.data.sample import SampleConfig, parse_sample

C, h, w = 4, 6, 8  # latent channels and size of the kit's 64x48 samples


def _latent(L: int, seed: int) -> np.ndarray:
    """Random float16 latents [C, L, h, w]: every (t, c) plane differs, so a swapped axis shows."""
    return np.random.default_rng(seed).standard_normal((C, L, h, w)).astype(np.float16)


def _member(lat: np.ndarray, layout: str, caption: np.ndarray) -> bytes:
    if layout == "TCHW":
        return latent_safetensors(lat, caption)
    return safetensors.numpy.save({"latent": lat, "caption_embedding": caption})


def _shard(kit: SimpleNamespace, name: str, layouts: list[str], T: int = 21, index: bool = True) -> str:
    """One shard of len(layouts) samples; sample j has latents ``_latent(L, j)`` stored in layouts[j]."""
    L = (T - 1) // 4 + 1
    samples = []
    for j, layout in enumerate(layouts):
        m = kit.sample(f"k{j:02d}", T, mp4=False, caption=False, seed=j)
        m["latent.safetensors"] = _member(_latent(L, j), layout, np.full(384, j, np.float32))
        samples.append((f"k{j:02d}", m))
    return str(write_shard(kit.tmp / name / "shard-0000.tar", samples, index=index).path)


def test_writer_stores_time_major_with_its_layout_deterministically() -> None:
    lat = _latent(5, 0)
    data = latent_safetensors(lat, np.ones(3, np.float32), {"wp_latent": "{}", "a": "b"})
    assert data == latent_safetensors(lat, np.ones(3, np.float32), {"a": "b", "wp_latent": "{}"})
    with_lib = safetensors.numpy.load(data)  # stock safetensors reads it
    assert np.array_equal(with_lib["latent"], lat.transpose(1, 0, 2, 3))
    entries, meta = safetensors_header(data)
    assert meta == {"a": "b", "layout": "TCHW", "wp_latent": "{}"} and entries["latent"][1] == [5, C, h, w]
    bf = torch.randn(C, 5, h, w).to(torch.bfloat16)
    back = safetensors.torch.load(latent_safetensors(bf.view(torch.int16).numpy(), bfloat16=True))
    assert back["latent"].dtype == torch.bfloat16 and torch.equal(back["latent"], bf.permute(1, 0, 2, 3))


@pytest.mark.parametrize("start,length", [(0, 6), (4, 2), (1, 3)])
def test_time_major_slab_reads_the_window(tmp_path: Path, start: int, length: int) -> None:
    lat = _latent(6, 1)
    blob = latent_safetensors(lat)
    path = tmp_path / "f.bin"
    path.write_bytes(b"j" * 333 + blob)
    code, shape, off = safetensors_header(blob)[0]["latent"]
    slab = LatentSlab(str(path), 333 + off, code, (C, 6, h, w), start, length, time_major=True)
    assert shape == [6, C, h, w]
    want = torch.from_numpy(lat[:, start : start + length].transpose(1, 0, 2, 3).copy())
    assert torch.equal(slab.tensor(), want)


@pytest.mark.parametrize("layout", ["TCHW", "CTHW"])
def test_in_memory_member_gives_the_same_window(kit: SimpleNamespace, layout: str) -> None:
    m = kit.sample("k", 21, mp4=False, caption=False)
    lat = _latent(6, 3)
    m["latent.safetensors"] = _member(lat, layout, np.zeros(384, np.float32))
    raw = {"__key__": "k", "__url__": "mem", **{s: bytearray(v) for s, v in m.items()}}  # no file offsets
    s = parse_sample(raw, SampleConfig(window_latents=2, latents=True, seed=5))
    f0 = s.window_start // 4
    assert torch.equal(s.latents, torch.from_numpy(lat[:, f0 : f0 + 2].transpose(1, 0, 2, 3).copy()))


@pytest.mark.parametrize(
    "opts", [{}, {"window_latents": 2, "seed": 3}, {"window_latents": 4, "shuffle_buffer": 4}]
)
def test_time_major_and_channel_major_shards_give_identical_batches(kit: SimpleNamespace, opts: dict) -> None:
    tchw, cthw = _shard(kit, "t", ["TCHW"] * 7), _shard(kit, "c", ["CTHW"] * 7)
    ref, _ = kit.batches(cthw, False, **opts)
    for path in (tchw, cthw):
        for use_index in (True, False):
            got, stats = kit.batches(path, use_index, **opts)
            kit.assert_same(got, ref)
            assert stats.index_shards == ({"used": 1} if use_index else {}) and stats.num_skipped == 0
    for batch in ref:  # and the windows are the stored latents, time first
        for b, key in enumerate(batch["keys"]):
            j, f0, L = int(key[1:]), int(batch["window_start"][b]) // 4, batch["latents"].shape[1]
            want = _latent(6, j)[:, f0 : f0 + L].transpose(1, 0, 2, 3)
            assert np.array_equal(batch["latents"][b].numpy(), want)


def test_a_shard_mixing_layouts_reads_each_sample_right(kit: SimpleNamespace) -> None:
    path = _shard(kit, "mix", ["TCHW", "CTHW", "TCHW", "TCHW", "CTHW", "TCHW"])
    ref, _ = kit.batches(_shard(kit, "ref", ["CTHW"] * 6), False, window_latents=4)
    fast, stats = kit.batches(path, True, window_latents=4)
    kit.assert_same(fast, ref)
    assert stats.index_shards == {"used": 1} and stats.num_skipped == 0


def test_gaps_too_big_to_read_through_split_the_read(kit: SimpleNamespace, monkeypatch) -> None:
    import wpmodel.data.indexed_batch as ib

    monkeypatch.setattr(ib, "GAP_BYTES", 16)  # every gap (tar headers, other members) starts a new read
    path = _shard(kit, "g", ["TCHW"] * 5)
    ref, _ = kit.batches(path, False, window_latents=2)
    fast, _ = kit.batches(path, True, window_latents=2)
    kit.assert_same(fast, ref)


def test_a_reader_reuses_its_batch_buffers_across_epochs_and_pickles_without_them(
    kit: SimpleNamespace,
) -> None:
    import pickle

    from wpmodel.data.loader import ShardReader

    reader = ShardReader(
        [_shard(kit, "p", ["TCHW"] * 4)], 4, window_latents=4, latents=True, rank=0, world_size=1
    )
    first = [b["latents"].data_ptr() for b in reader if "latents" in b]
    reader.set_epoch(1)
    second = [b["latents"].data_ptr() for b in reader if "latents" in b]
    assert first == second and reader._pool is not None and reader._pool.reused >= 1
    assert pickle.loads(pickle.dumps(reader))._pool is None
