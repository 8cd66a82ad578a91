"""Streaming with the KV cache: chunk-by-chunk generation equals one full-sequence forward."""

from __future__ import annotations

import pytest
import torch


def _slice(inp, a, b):
    return {k: (v if k == "caption" else v[:, a:b]) for k, v in inp.items()}


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 2e-5)])
@torch.no_grad()
def test_chunk_by_chunk_write_equals_full_forward(cfg, dit, dtype, tol):
    model = dit.build(cfg, dtype=dtype)
    inp = dit.make_inputs(cfg, L=12, dtype=dtype)  # 3 chunks
    full = model(**inp)
    cache = model.new_cache()
    outs = [model(**_slice(inp, a, a + 4), kv_cache=cache, cache_mode="write") for a in (0, 4, 8)]
    assert (torch.cat(outs, 1) - full).abs().max() < tol * max(1.0, full.abs().max().item())
    assert cache.num_latents == 12 and cache.next_chunk == 3
    assert cache.num_tokens == cfg.caption_tokens + 12 * 16


@torch.no_grad()
def test_read_mode_denoising_steps_leave_cache_unchanged(cfg, dit):
    """Context written once (clean, t = 0), then several denoising reads of the next chunk: each read
    equals the full forward of [context, noisy chunk], and the cache does not grow."""
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg, L=12)
    inp["t"][:, :8] = 0.0
    cache = model.new_cache()
    model(**_slice(inp, 0, 8), kv_cache=cache, cache_mode="write")
    n = cache.num_tokens
    for t in (0.9, 0.5, 0.1):
        inp["t"][:, 8:] = t
        full = model(**inp)[:, 8:]
        read = model(**_slice(inp, 8, 12), kv_cache=cache, cache_mode="read")
        assert torch.allclose(read, full, atol=1e-10, rtol=0)
    assert cache.num_tokens == n


@torch.no_grad()
def test_reconstituted_context_with_explicit_ids(cfg, dit):
    """A memory context (arbitrary latents, reframed time, chunk ids) cached, then the target read."""
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg, L=12)
    ti = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], dtype=torch.float64).expand(2, 12) + 100
    cid = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]).expand(2, 12)
    full = model(**inp, time_index=ti, chunk_id=cid)
    cache = model.new_cache()
    model(**_slice(inp, 0, 8), time_index=ti[:, :8], chunk_id=cid[:, :8], kv_cache=cache, cache_mode="write")
    read = model(
        **dict(_slice(inp, 8, 12), caption=None),
        time_index=ti[:, 8:],
        chunk_id=cid[:, 8:],
        kv_cache=cache,
        cache_mode="read",
    )
    assert torch.allclose(read, full[:, 8:], atol=1e-10, rtol=0)
    cache.reset()
    assert cache.is_empty and cache.num_latents == 0


@torch.no_grad()
def test_cache_without_cameras_refuses_prope_reads(cfg, dit):
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg)
    cache = model.new_cache()
    model(**dict(_slice(inp, 0, 4), viewmats=None, Ks=None), kv_cache=cache, cache_mode="write")
    with pytest.raises(ValueError, match="PRoPE"):
        model(**_slice(inp, 4, 8), kv_cache=cache, cache_mode="read")
