"""PRoPE: scores depend only on relative cameras; a rigid move of the whole rig changes nothing."""

from __future__ import annotations

import torch

from wpmodel.dit.prope import normalize_intrinsics, projection_matrices, prope_out, prope_qkv, prope_scores


def _rig(dit, B=2, L=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    w2c = dit.random_rigid(B * L, g).reshape(B, L, 4, 4)
    K = torch.tensor([[0.6, 0.0, 0.5], [0.0, 0.9, 0.5], [0.0, 0.0, 1.0]], dtype=torch.float64).expand(
        B, L, 3, 3
    )
    return w2c, K, g


def test_scores_invariant_to_a_global_rigid_move(dit):
    B, L, N, H, D = 2, 3, 5, 2, 8
    w2c, K, g = _rig(dit, B, L)
    q = torch.randn(B, H, L * N, D, generator=g, dtype=torch.float64)
    k = torch.randn(B, H, L * N, D, generator=g, dtype=torch.float64)
    G = dit.random_rigid(1, g, scale=3.0)[0]  # world -> new world
    moved = w2c @ torch.linalg.inv(G)  # every camera moved with the world
    s0 = prope_scores(q, k, *projection_matrices(w2c, K, torch.float64), N)
    s1 = prope_scores(q, k, *projection_matrices(moved, K, torch.float64), N)
    assert torch.allclose(s0, s1, atol=1e-10, rtol=0)

    one = w2c.clone()
    one[:, 1] = w2c[:, 1] @ torch.linalg.inv(G)  # only camera 1 moves
    s2 = prope_scores(q, k, *projection_matrices(one, K, torch.float64), N)
    f0, f1 = slice(0, N), slice(N, 2 * N)
    assert (s0[..., f0, f1] - s2[..., f0, f1]).abs().max() > 1e-2  # pairs with camera 1 change
    assert torch.allclose(s0[..., f0, f0], s2[..., f0, f0], atol=1e-10)  # pairs without it do not


def test_values_and_output_transform_round_trip(dit):
    """o' = P o undoes v' = P^-1 v: attending fully to one's own frame returns the plain values."""
    B, L, N, H, D = 1, 2, 3, 1, 8
    w2c, K, g = _rig(dit, B, L)
    P, P_inv = projection_matrices(w2c, K, torch.float64)
    v = torch.randn(B, H, L * N, D, generator=g, dtype=torch.float64)
    _, _, vp = prope_qkv(v, v, v, P, P_inv, N)
    assert torch.allclose(prope_out(vp, P, N), v, atol=1e-10)


def test_without_intrinsics_is_relative_pose(dit):
    w2c, _, g = _rig(dit)
    P, P_inv = projection_matrices(w2c, None, torch.float64)
    assert torch.allclose(P @ P_inv, torch.eye(4, dtype=torch.float64).expand_as(P), atol=1e-12)


def test_normalize_intrinsics_release_convention():
    K = torch.tensor([[500.0, 0.0, 320.0], [0.0, 400.0, 240.0], [0.0, 0.0, 1.0]])
    Kn = normalize_intrinsics(K)
    expect = torch.tensor([[500 / 640, 0.0, 0.5], [0.0, 400 / 480, 0.5], [0.0, 0.0, 1.0]])
    assert torch.allclose(Kn, expect)


@torch.no_grad()
def test_model_invariant_to_global_move_with_prope_weights(cfg, dit):
    """Through the whole model, PRoPE projection woken: global rigid move -> same output; one camera
    moved -> its chunk and later chunks change, earlier chunks do not."""
    model = dit.build(cfg)  # wakes prope_proj too
    assert all(b.attn.prope_proj.weight.abs().max() > 0 for b in model.blocks)
    inp = dit.make_inputs(cfg)
    out = model(**inp)
    G = dit.random_rigid(1, torch.Generator().manual_seed(5), scale=4.0)[0]
    moved = dict(inp, viewmats=inp["viewmats"] @ torch.linalg.inv(G))
    assert torch.allclose(model(**moved), out, atol=1e-9, rtol=0)

    one = inp["viewmats"].clone()
    one[:, 5] = one[:, 5] @ torch.linalg.inv(G)
    out_one = model(**dict(inp, viewmats=one))
    assert torch.allclose(out_one[:, :4], out[:, :4], atol=1e-12)
    assert (out_one[:, 4:] - out[:, 4:]).abs().max() > 1e-3


@torch.no_grad()
def test_model_invariance_float32(cfg, dit):
    model = dit.build(cfg, dtype=torch.float32)
    inp = dit.make_inputs(cfg, dtype=torch.float32)
    out = model(**inp)
    G = dit.random_rigid(1, torch.Generator().manual_seed(5), scale=2.0)[0].float()
    moved = model(**dict(inp, viewmats=inp["viewmats"] @ torch.linalg.inv(G)))
    assert (moved - out).abs().max() < 1e-4 * max(1.0, out.abs().max().item())
