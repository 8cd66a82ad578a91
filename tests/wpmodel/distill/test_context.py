"""Context alignment, per scored chunk: the teacher (and the critic) score rolled-out chunk i over exactly the
context the student's StreamingGenerator held for it -- clean data for the history, the rolled-out chunks
its memory held -- with the student's time indices; the ablation is the teacher's own retrieval."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpmodel.distill.config import DistillSection
from wpmodel.distill.context import Segment, aligned_context, own_context, score_window
from wpmodel.distill.updates import scored_rollout
from wpmodel.dit.prope import normalize_intrinsics
from wpmodel.train.step import rigid_inverse

TOKENS = 16  # tokens per 16x16 latent with 4x4 patches
N_CAP = 2


def _rollout(kit, alignment: bool, start_history: int = 8, n: int = 48):
    student, clip = kit.tiny_dit(), kit.make_clip(n=n)
    dc = DistillSection(rollout_chunks=3, min_history_chunks=start_history, context_alignment=alignment)
    with torch.no_grad():
        ro, window = scored_rollout(student, clip, dc, torch.Generator().manual_seed(0), torch.Generator())
    return clip, ro, window


def _what_the_teacher_saw(clip, ro, window, teacher):
    """Run the teacher once; from the tensors it was actually fed (input latents, layer-0 attention mask)
    recover, per row, the latent id at every position (by content) and which positions each one sees."""
    x_t = torch.randn(ro.latents.shape, generator=torch.Generator().manual_seed(7))
    fed = {}
    h1 = teacher.register_forward_pre_hook(lambda m, a, kw: fed.update(x=a[0], ti=a[6]), with_kwargs=True)
    h2 = teacher.blocks[0].attn.register_forward_pre_hook(
        lambda m, a, kw: fed.update(mask=kw["mask"]), with_kwargs=True
    )
    with torch.no_grad():
        window.velocity(teacher, x_t, torch.tensor([0.5]))
    h1.remove(), h2.remove()
    clean, rolled = clip.latents[0], x_t[0]  # [T, ...], [m, ...]
    rows = []
    for r in range(fed["x"].shape[0]):
        ids, noisy = [], []
        for lat in fed["x"][r]:
            hit_c = [i for i in range(clip.num_latents) if torch.equal(lat, clean[i])]
            hit_r = [ro.start + j for j in range(rolled.shape[0]) if torch.equal(lat, rolled[j])]
            ids.append((hit_c + hit_r + [None])[0])
            noisy.append(bool(hit_r))
        frame = fed["mask"][r, 0, N_CAP:, N_CAP:] == 0  # [L * N, L * N] may attend
        sees = frame.view(len(ids), TOKENS, len(ids), TOKENS).any(3).any(1)  # [L, L] latent level
        rows.append((ids, noisy, sees, fed["ti"][r]))
    return rows


def _seen_by_chunk(rows, window, i):
    """(clean ids, rolled-out ids) that the scored positions of rolled-out chunk i attend to."""
    r, pos = int(window.out_row[4 * i]), window.out_pos[4 * i : 4 * i + 4].tolist()
    ids, noisy, sees, _ = rows[r]
    seen = [k for k in range(len(ids)) if sees[pos, k].any()]
    assert all(sees[pos][:, k].all() for k in seen)  # whole chunks, seen by every latent of chunk i
    return {ids[k] for k in seen if not noisy[k]}, {ids[k] for k in seen if noisy[k]}, r


def test_every_scored_chunk_sees_exactly_the_students_context(kit):
    clip, ro, window = _rollout(kit, alignment=True)
    assert ro.start == 32 and [p.retrieved[:1] for p in ro.plans] == [(12,), (8,), (4,)]  # designed path
    rows = _what_the_teacher_saw(clip, ro, window, kit.tiny_dit(1))
    rolled = set(ro.latent_ids)
    for i, plan in enumerate(ro.plans):  # the student's context for chunk i, as StreamingGenerator held it
        clean, noisy, r = _seen_by_chunk(rows, window, i)
        assert None not in clean
        assert clean == set(plan.context) - rolled  # clean data, not what the student generated
        assert noisy == (set(plan.context) & rolled) | set(plan.target)  # its rolled-out memory + itself
        ids, _, _, ti = rows[r]
        order = [k for k, j in enumerate(ids) if j is not None]
        assert [ids[k] for k in order] == list(plan.indices)  # the student's order ...
        assert ti[order].tolist() == ro.time_indices[i].tolist()  # ... and its time indices
    # chunk 2's memory holds way-out chunk 1 (latents 4..7), chunk 0's does not: not the union any more
    assert 4 in _seen_by_chunk(rows, window, 2)[0] and 4 not in _seen_by_chunk(rows, window, 0)[0]
    assert window.context_ids == aligned_context(ro.plans, ro.latent_ids)  # the union, for the record


@pytest.mark.parametrize("history", [8, 2])  # equal rows (24 latents); rows of 12/16/20 latents, padded
def test_scored_chunk_velocity_is_the_teacher_on_the_students_window(kit, history):
    """Velocity of chunk i = a plain block-causal teacher forward over the student's window for chunk i
    (rolled-out latents at the scoring time); changing a clean chunk moves exactly the chunks that used it."""
    clip, ro, window = _rollout(kit, alignment=True, start_history=history, n=48 if history == 8 else 20)
    teacher, t = kit.tiny_dit(1), torch.tensor([0.6])
    x_t = torch.randn(ro.latents.shape, generator=torch.Generator().manual_seed(3))
    K = normalize_intrinsics(torch.from_numpy(clip.K)).float()
    with torch.no_grad():
        v = window.velocity(teacher, x_t, t)
        for i, plan in enumerate(ro.plans):
            ids = list(plan.indices)
            x = torch.stack([x_t[0, j - ro.start] if j >= ro.start else clip.latents[0, j] for j in ids])[
                None
            ]
            tt = torch.tensor([[0.6 if j >= ro.start else 0.0 for j in ids]])
            vm = rigid_inverse(torch.from_numpy(clip.c2w[ids]))[None].float()
            ref = teacher(x, tt, clip.caption, torch.from_numpy(clip.actions[ids])[None], vm,
                          K.expand(1, len(ids), 3, 3), torch.from_numpy(ro.time_indices[i])[None].double())  # fmt: skip
            assert torch.allclose(v[:, 4 * i : 4 * i + 4], ref[:, -4:], atol=2e-5, rtol=1e-4)
        if history == 2:
            assert len({len(s.ids) for s in window.segments}) == 3  # the padded case
        for h in sorted({j // 4 for j in window.context_ids}):  # perturb one clean history chunk
            moved = clip.latents.clone()
            moved[:, 4 * h : 4 * h + 4] += 1.0
            w2 = score_window(type(clip)(moved, clip.c2w, clip.K, clip.actions, clip.caption),
                              window.segments, window.rollout_ids, 4)  # fmt: skip
            d = (w2.velocity(teacher, x_t, t) - v).abs().flatten(2).amax(2)[0]  # [m]
            for i, plan in enumerate(ro.plans):
                changed = bool(d[4 * i : 4 * i + 4].max() > 1e-4)
                assert changed == (4 * h in plan.context), (h, i)


def test_ablation_gives_the_teacher_its_own_retrieval(kit):
    clip, ro, window = _rollout(kit, alignment=False)
    own = own_context(clip.c2w, 32, 12, 4)
    own_chunks = {i // 4 for i in own}
    # temporal window + first chunk + ONE retrieved chunk for the whole window: not the student's memory
    assert {0, 5, 6, 7} < own_chunks and len(own_chunks) == 5 and max(own) < 32
    assert window.context_ids == own and len(window.segments) == 1
    assert window.segments[0].time_index == tuple(float(v) for v in range(len(own) + 12))
    rows = _what_the_teacher_saw(clip, ro, window, kit.tiny_dit(1))
    differs = 0
    for i, plan in enumerate(ro.plans):
        clean, noisy, _ = _seen_by_chunk(rows, window, i)
        assert clean == set(own) and noisy == set(range(32, 36 + 4 * i))  # block-causal, one context
        differs += clean != set(plan.context) - set(ro.latent_ids)
    assert differs == 3  # on the designed path no scored chunk sees the student's context
    # and the ablation's numbers are the plain block-causal teacher window [own | rollout], bit for bit
    teacher, t = kit.tiny_dit(1), torch.tensor([0.4])
    x_t = torch.randn(ro.latents.shape, generator=torch.Generator().manual_seed(2))
    ids = list(own) + list(ro.latent_ids)
    K = normalize_intrinsics(torch.from_numpy(clip.K)).float().expand(1, len(ids), 3, 3)
    with torch.no_grad():
        ref = teacher(torch.cat([clip.latents[:, list(own)], x_t], 1),
                      torch.tensor([[0.0] * len(own) + [0.4] * 12]), clip.caption,
                      torch.from_numpy(clip.actions[ids])[None],
                      rigid_inverse(torch.from_numpy(clip.c2w[ids]))[None].float(), K,
                      torch.arange(len(ids), dtype=torch.float64)[None])  # fmt: skip
        assert torch.equal(window.velocity(teacher, x_t, t), ref[:, len(own) :])


def test_score_window_rejects_bad_segments(kit):
    clip = kit.make_clip()
    ti = tuple(float(v) for v in range(12))
    ok = Segment((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), ti, 4)
    assert score_window(clip, [ok], range(8, 12), 4).n_ctx == 8
    with pytest.raises(ValueError, match="must not contain"):  # its own (or a later) rolled-out chunk
        score_window(clip, [Segment((0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11), ti, 4),
                            Segment(tuple(range(8)) + (12, 13, 14, 15), ti, 4)], range(8, 16), 4)  # fmt: skip
    with pytest.raises(ValueError, match="must not contain"):  # clean latents after the rollout start
        score_window(clip, [Segment((0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11), ti, 4)], range(8, 12), 4)
    with pytest.raises(ValueError, match="exactly one segment"):
        score_window(clip, [ok, ok], range(8, 12), 4)
    with pytest.raises(ValueError, match="whole"):
        score_window(clip, [Segment((0, 1, 2, 8, 9, 10, 11), ti[:7], 4)], range(8, 12), 4)
    assert np.array_equal(score_window(clip, [ok], range(8, 12), 4).chunk_id[0].numpy(), np.arange(12) // 4)
