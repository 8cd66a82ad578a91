from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from wpmodel.data.collate import collate
from wpmodel.data.latent_slab import BatchPool, LatentSlab
from wpmodel.data.safetensors_view import safetensors_layout
from wpmodel.data.sample import SampleConfig, parse_sample
from wpmodel.data.tar_reader import iter_samples


def _file(tmp_path: Path, latent: torch.Tensor) -> tuple[str, tuple]:
    """A file with junk before a safetensors blob; the latent entry's absolute (offset, dtype, shape)."""
    blob = safetensors.torch.save({"latent": latent, "caption_embedding": torch.ones(4)})
    path = tmp_path / "f.bin"
    path.write_bytes(b"j" * 777 + blob)
    dtype, shape, off = safetensors_layout(blob)["latent"]
    return str(path), (777 + off, dtype, tuple(shape))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
@pytest.mark.parametrize("start,length", [(0, 9), (4, 5), (2, 3)])
def test_slab_reads_the_transposed_window(
    tmp_path: Path, dtype: torch.dtype, start: int, length: int
) -> None:
    latent = torch.randn(6, 9, 5, 7).to(dtype)  # [C, T, h, w]
    path, (off, code, shape) = _file(tmp_path, latent)
    slab = LatentSlab(path, off, code, shape, start, length)
    got = slab.tensor()
    assert got.shape == slab.shape == (length, 6, 5, 7) and got.dtype == dtype == slab.dtype
    assert torch.equal(got, latent[:, start : start + length].permute(1, 0, 2, 3))


def test_slab_errors(tmp_path: Path) -> None:
    path, (off, code, shape) = _file(tmp_path, torch.zeros(2, 4, 3, 3, dtype=torch.float16))
    with pytest.raises(ValueError, match="outside 4 latents"):
        LatentSlab(path, off, code, shape, 2, 3)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(Path(path).read_bytes()[: off + 40])
    with pytest.raises(OSError, match="file ends"):
        LatentSlab(str(cut), off, code, shape, 0, 4).tensor()


def test_pool_reuses_a_buffer_only_when_nothing_holds_it() -> None:
    pool = BatchPool(keep=2)
    a = pool.get((2, 3), torch.float32)
    view = a[0]
    del a
    b = pool.get((2, 3), torch.float32)  # the first buffer is still held through `view`
    assert pool.reused == 0 and b.data_ptr() != view.data_ptr()
    del view
    c = pool.get((2, 3), torch.float32)
    assert pool.reused == 1 and c.untyped_storage().data_ptr() != b.untyped_storage().data_ptr()
    arr = c.numpy()
    del c
    d = pool.get((2, 3), torch.float32)  # the numpy array keeps the first buffer; b keeps the second
    assert pool.reused == 1 and d.untyped_storage().data_ptr() not in (arr.ctypes.data, b.data_ptr())


def test_local_shards_give_slabs_and_batches_equal_the_in_memory_path(kit, tmp_path: Path) -> None:
    shard = kit.write_tar(
        tmp_path / "s.tar", [(f"k{i}", kit.sample(f"k{i}", 21, mp4=False)) for i in range(3)]
    )
    cfg = SampleConfig(window_latents=4, latents=True, random_window=False)
    local = [parse_sample(r, cfg) for r in iter_samples([str(shard)])]
    memory = [
        parse_sample({k: v for k, v in r.items() if k != "__offsets__"}, cfg)
        for r in iter_samples([str(shard)])
    ]
    assert all(isinstance(s.latents, LatentSlab) for s in local)
    assert all(isinstance(s.latents, torch.Tensor) for s in memory)
    pool = BatchPool()
    got, want = collate(local, pool=pool)["latents"], collate(memory)["latents"]
    assert got.shape == want.shape == (3, 4, kit.C_LAT, kit.H // 8, kit.W // 8) and torch.equal(got, want)
    mixed = collate([local[0], memory[1]])["latents"]
    assert torch.equal(mixed, want[:2])
    np.testing.assert_array_equal(collate(local, pool=pool)["latents"].numpy(), want.numpy())
