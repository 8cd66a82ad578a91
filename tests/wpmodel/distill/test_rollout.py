"""Student self-rollout: the same context construction and numbers as inference, random exits, and
gradients only through the last chunk(s)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpmodel.distill.rollout import draw_exit_steps, student_rollout
from wpmodel.generate import StreamingGenerator


def _grads(model, loss):
    return torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)


def test_rollout_exiting_at_the_last_step_is_inference(kit):
    """Exit at the last step = StreamingGenerator's 4-step Euler from the same clean history, bit for bit,
    with the same retrieval, context plans and noise."""
    student, clip = kit.tiny_dit(), kit.make_clip(n=48)
    with torch.no_grad():
        ro = student_rollout(student, clip, 32, 3, [3, 3, 3], torch.Generator().manual_seed(5), steps=4)
    gen = StreamingGenerator(student, steps=4, seed=5)
    gen.start(clip.latents[:, :4], clip.caption, clip.c2w[:4], clip.K, clip.actions[:4])
    for s in range(4, 32, 4):
        gen.append_chunk(clip.latents[:, s : s + 4], clip.actions[s : s + 4], clip.c2w[s : s + 4])
    ref = torch.cat([gen.next_chunk(clip.actions[s : s + 4], clip.c2w[s : s + 4]) for s in (32, 36, 40)], 1)
    assert torch.equal(ro.latents, ref)
    assert ro.plans == [r.plan for r in gen.records]
    assert all(np.array_equal(a, r.time_index) for a, r in zip(ro.time_indices, gen.records, strict=True))
    assert ro.latents.abs().mean() > 0.1
    # the student's memory: on the way back each chunk retrieves the way-out chunk at its place
    assert [p.retrieved[:1] for p in ro.plans] == [(12,), (8,), (4,)]
    # a rolled-out chunk's context holds the earlier rolled-out (generated) chunks of its temporal window
    assert set(range(32, 36)) <= set(ro.plans[1].context) and set(range(32, 40)) <= set(ro.plans[2].context)


def test_exit_steps_change_the_output_and_are_validated(kit):
    student, clip = kit.tiny_dit(), kit.make_clip()
    with torch.no_grad():
        a = student_rollout(student, clip, 8, 2, [0, 3], torch.Generator().manual_seed(0))
        b = student_rollout(student, clip, 8, 2, [3, 3], torch.Generator().manual_seed(0))
    assert not torch.allclose(a.latents[:, :4], b.latents[:, :4])
    with pytest.raises(ValueError, match="exit_steps"):
        student_rollout(student, clip, 8, 2, [0, 4], torch.Generator())
    with pytest.raises(ValueError, match="does not fit"):
        student_rollout(student, clip, 28, 2, [0, 0], torch.Generator())
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert draw_exit_steps(8, 4, g1) == draw_exit_steps(8, 4, g2)


def test_gradients_flow_only_through_the_last_chunk(kit):
    student, clip = kit.tiny_dit(), kit.make_clip()
    exits = [1, 2, 3]
    w = torch.randn(1, 12, kit.C, kit.HW, kit.HW, generator=torch.Generator().manual_seed(9))
    grad_forwards = []
    hook = student.register_forward_pre_hook(lambda m, a: grad_forwards.append(torch.is_grad_enabled()))
    ro1 = student_rollout(student, clip, 8, 3, exits, torch.Generator().manual_seed(0), grad_chunks=1)
    hook.remove()
    assert sum(grad_forwards) == 1  # one forward with gradients: the last chunk's exit step
    assert len(grad_forwards) == 3 * 2 + sum(exits)  # per chunk: context write + exit steps + exit forward
    full = _grads(student, (ro1.latents * w).sum())
    ro1b = student_rollout(student, clip, 8, 3, exits, torch.Generator().manual_seed(0), grad_chunks=1)
    last = _grads(student, (ro1b.latents[:, 8:] * w[:, 8:]).sum())
    assert any(g is not None and g.abs().sum() > 0 for g in last)
    for a, b in zip(full, last, strict=True):  # the earlier chunks add exactly nothing
        assert (a is None and b is None) or torch.equal(a, b)
    # with every chunk under gradients the same rollout gives other gradients: the check can fail
    ro3 = student_rollout(student, clip, 8, 3, exits, torch.Generator().manual_seed(0), grad_chunks=3)
    assert torch.equal(ro3.latents.detach(), ro1.latents.detach())
    every = _grads(student, (ro3.latents * w).sum())
    assert any(not torch.allclose(a, b) for a, b in zip(every, full, strict=True) if a is not None)
