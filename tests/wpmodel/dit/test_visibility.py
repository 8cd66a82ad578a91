"""The explicit per-latent visibility (``WorldPlayDiT(visible=...)``): the block-causal visibility gives the
chunk_id path bit for bit, a restricted one hides exactly what it says, and it refuses a KV cache."""

from __future__ import annotations

import pytest
import torch

from wpmodel.dit.mask import block_causal_mask, token_chunks, visibility_mask


def _block_causal(chunk_id: torch.Tensor) -> torch.Tensor:
    return chunk_id[:, None, :] <= chunk_id[:, :, None]  # [B, L, L]


def test_visibility_mask_is_the_block_causal_token_mask():
    cid = torch.tensor([[0, 0, 1, 1, 2, 2]])
    tok = token_chunks(cid, 3)
    q = torch.cat([tok.new_full((1, 2), -1), tok], 1)
    assert torch.equal(visibility_mask(_block_causal(cid), 3, 2), block_causal_mask(q, q))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_block_causal_visibility_equals_the_default_path_bit_for_bit(cfg, dit, dtype):
    """Training forward and backward (gradient checkpointing on) with chunk ids given explicitly."""
    model = dit.build(cfg, dtype=dtype).train()
    model.grad_checkpointing = True
    inp = dit.make_inputs(cfg, L=12, dtype=dtype)
    cid = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]).expand(2, 12)
    outs, grads = [], []
    for vis in (None, _block_causal(cid)):
        model.zero_grad()
        out = model(**inp, chunk_id=cid, visible=vis)
        out.pow(2).sum().backward()
        outs.append(out.detach())
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert torch.equal(outs[0], outs[1]) and torch.equal(grads[0], grads[1])
    assert outs[0].abs().max() > 1e-2


@torch.no_grad()
def test_restricted_visibility_hides_exactly_the_invisible_latents(cfg, dit):
    """Two 8-latent sequences in one 16-latent row, each block-causal and blind to the other: each half's
    output is the output of that sequence alone; dropping chunk 0 from chunk 2's view cuts its influence."""
    model = dit.build(cfg)
    a, b = dit.make_inputs(cfg, B=1, seed=1), dit.make_inputs(cfg, B=1, seed=2)
    both = {k: (a[k] if k == "caption" else torch.cat([a[k], b[k]], 1)) for k in a}
    cid = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]])
    half = torch.arange(16) // 8
    vis = _block_causal(cid) & (half[None, :] == half[:, None])[None]
    b["caption"] = a["caption"]
    out = model(**both, chunk_id=cid, visible=vis)
    assert torch.allclose(out[:, :8], model(**a), atol=1e-12, rtol=0)
    assert torch.allclose(out[:, 8:], model(**b), atol=1e-12, rtol=0)
    # a real restriction: latents 8..11 (chunk 0 of the second sequence) hidden from latents 12..15
    vis2 = vis.clone()
    vis2[:, 12:, 8:12] = False
    out2 = model(**both, chunk_id=cid, visible=vis2)
    assert torch.equal(out2[:, :12], out[:, :12]) and (out2[:, 12:] - out[:, 12:]).abs().max() > 1e-3
    changed = {k: v.clone() for k, v in both.items()}
    changed["x"][:, 8:12] += 1.0
    out3 = model(**changed, chunk_id=cid, visible=vis2)
    assert torch.allclose(out3[:, 12:], out2[:, 12:], atol=1e-12, rtol=0)  # the hidden chunk has no say
    assert torch.allclose(out3[:, :8], out2[:, :8], atol=1e-12, rtol=0)


def test_visibility_is_validated(cfg, dit):
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg, L=8)
    with pytest.raises(ValueError, match="visible must be bool"):
        model(**inp, visible=torch.ones(2, 8, 8))
    with pytest.raises(ValueError, match="visible must be bool"):
        model(**inp, visible=torch.ones(2, 8, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="without a KV cache"):
        model(
            **inp,
            visible=torch.ones(1, 8, 8, dtype=torch.bool),
            kv_cache=model.new_cache(),
            cache_mode="write",
        )
