"""WorldPlayDiT mechanisms: block causality, zero-initialised branches, relative-only RoPE time."""

from __future__ import annotations

import pytest
import torch

from wpmodel.dit import WorldPlayDiT


@torch.no_grad()
def test_block_causality_float64(cfg, dit):
    """Changing chunk 1's inputs (latents, time, action, camera) leaves chunk 0's output bit-for-bit."""
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg)  # L = 8: chunks 0 and 1
    out = model(**inp)
    changed = {k: v.clone() for k, v in inp.items()}
    changed["x"][:, 4:] += torch.randn_like(changed["x"][:, 4:])
    changed["t"][:, 4:] = 0.9
    changed["actions"][:, 4:] = (changed["actions"][:, 4:] + 7) % 81
    changed["viewmats"][:, 4:, :3, 3] += 1.0
    out2 = model(**changed)
    assert torch.allclose(out[:, :4], out2[:, :4], atol=1e-12, rtol=0)
    assert (out[:, 4:] - out2[:, 4:]).abs().max() > 1e-3  # the later chunk did change


@torch.no_grad()
def test_block_causality_float32(cfg, dit):
    model = dit.build(cfg, dtype=torch.float32)
    inp = dit.make_inputs(cfg, dtype=torch.float32, L=12)
    out = model(**inp)
    inp["x"][:, 8:] = torch.randn_like(inp["x"][:, 8:])
    out2 = model(**inp)
    assert (out[:, :8] - out2[:, :8]).abs().max() < 1e-5
    assert (out[:, 8:] - out2[:, 8:]).abs().max() > 1e-3


@torch.no_grad()
def test_chunks_see_earlier_chunks_and_caption(cfg, dit):
    """The converse: chunk 1 depends on chunk 0, and every chunk depends on the caption."""
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg)
    out = model(**inp)
    a = dict(inp, x=inp["x"].clone())
    a["x"][:, :4] += 1.0
    assert (model(**a)[:, 4:] - out[:, 4:]).abs().max() > 1e-3
    b = dict(inp, caption=inp["caption"] + 1.0)
    assert (model(**b)[:, :4] - out[:, :4]).abs().max() > 1e-3


@torch.no_grad()
def test_custom_chunk_ids_define_the_mask(cfg, dit):
    """With chunk_id = [0,0,1,1,...] chunks are 2 latents: latent 2 no longer affects latent 1."""
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg, L=4)
    cid = torch.tensor([[0, 0, 1, 1]]).expand(2, 4)
    out = model(**inp, chunk_id=cid)
    inp["x"][:, 2] += 1.0
    out2 = model(**inp, chunk_id=cid)
    assert torch.allclose(out[:, :2], out2[:, :2], atol=1e-12, rtol=0)
    assert (model(**inp)[:, :2] - out2[:, :2]).abs().max() > 1e-3  # default ids: one chunk of 4


@torch.no_grad()
def test_zero_init_branches_exact(cfg, dit):
    """At initialisation of the action MLP's last layer and PRoPE's projection, they add exactly nothing.

    Every other zero-initialised weight (adaLN, final layer) is woken so the output is not trivially 0.
    """
    model = dit.build(cfg, keep_zero=("action_embed.mlp.2", "prope_proj"))
    inp = dit.make_inputs(cfg)
    full = model(**inp)
    bare = model(inp["x"], inp["t"], inp["caption"])
    assert full.abs().max() > 1e-2
    assert torch.equal(full, bare)
    # the same check fails once the branches carry weights
    woken = dit.build(cfg)
    assert (woken(**inp) - woken(inp["x"], inp["t"], inp["caption"])).abs().max() > 1e-3


@torch.no_grad()
def test_fresh_model_outputs_zero_and_switches_off(cfg, dit):
    """A freshly built model (adaLN-Zero, zero final layer) predicts 0; disabled branches have no params."""
    torch.manual_seed(0)
    model = WorldPlayDiT(cfg)
    inp = dit.make_inputs(cfg, dtype=torch.float32)
    assert torch.equal(model(**inp), torch.zeros_like(inp["x"]))
    off = WorldPlayDiT(type(cfg)(**{**cfg.to_dict(), "use_actions": False, "use_prope": False}))
    names = [n for n, _ in off.named_parameters()]
    assert not any("action_embed" in n or "prope_proj" in n for n in names)


@torch.no_grad()
def test_rope_time_shift_invariance(cfg, dit):
    """Shifting every time index by a constant (incl. fractional) gives the same output; scaling does not."""
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg)
    ti = torch.arange(8, dtype=torch.float64).expand(2, 8)
    out = model(**inp, time_index=ti)
    shifted = model(**inp, time_index=ti + 37.5)
    assert torch.allclose(out, shifted, atol=1e-9, rtol=0)
    stretched = model(**inp, time_index=ti * 3)
    assert (out - stretched).abs().max() > 1e-4


@torch.no_grad()
def test_default_time_index_is_arange(cfg, dit):
    model = dit.build(cfg)
    inp = dit.make_inputs(cfg)
    assert torch.equal(
        model(**inp), model(**inp, time_index=torch.arange(8.0, dtype=torch.float64).expand(2, 8))
    )


def test_bad_inputs_raise(cfg, dit):
    model = dit.build(cfg, dtype=torch.float32)
    inp = dit.make_inputs(cfg, dtype=torch.float32)
    with pytest.raises(ValueError, match="actions"):
        model(**dict(inp, actions=torch.full((2, 8), 81)))
    with pytest.raises(ValueError, match="t must have shape"):
        model(**dict(inp, t=inp["t"][:, :3]))
    with pytest.raises(ValueError, match="divisible by the patch"):
        model(**dict(inp, x=inp["x"][..., :7]))
    with pytest.raises(ValueError, match="chunk_id must be >= 0"):
        model(**inp, chunk_id=torch.full((2, 8), -1))
    with pytest.raises(ValueError, match="needs a kv_cache"):
        model(**inp, cache_mode="read")
    with pytest.raises(ValueError, match="caption is required"):
        model(**dict(inp, caption=None))


def test_gradients_reach_every_parameter(cfg, dit):
    """One backward pass on a woken model gives every parameter a finite, non-zero gradient."""
    model = dit.build(cfg, dtype=torch.float32).train()
    inp = dit.make_inputs(cfg, dtype=torch.float32)
    model(**inp).pow(2).mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().max() > 0, name


def test_gradient_checkpointing_gives_the_same_gradients(cfg, dit):
    grads = []
    for ck in (False, True):
        model = dit.build(cfg).train()
        model.grad_checkpointing = ck
        model(**dit.make_inputs(cfg)).pow(2).mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-12)
