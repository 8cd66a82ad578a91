"""Context alignment: the teacher scores the rollout over exactly the chunks the student's memory used
(minus the rolled-out ones), from clean data; the ablation is the teacher's own retrieval."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpmodel.distill.config import DistillSection
from wpmodel.distill.context import aligned_context, own_context, score_window
from wpmodel.distill.rollout import student_rollout
from wpmodel.distill.updates import scored_rollout


def _visible(window, i, chunk=4):
    """Latent ids that scored chunk i attends to in the teacher's window (block-causal on chunk_id)."""
    ids = np.asarray(window.context_ids + window.rollout_ids)
    cid = window.chunk_id[0].numpy()
    own = cid[window.n_ctx + chunk * i]
    return set(ids[cid <= own].tolist()) - set(window.rollout_ids[chunk * i : chunk * (i + 1)])


def test_teacher_context_is_the_students_memory_from_clean_data(kit):
    student, clip = kit.tiny_dit(), kit.make_clip(n=48)
    with torch.no_grad():
        ro = student_rollout(student, clip, 32, 3, [3, 1, 2], torch.Generator().manual_seed(0))
    rolled = set(ro.latent_ids)
    student_chunks = [set(c) for c in ro.context_chunk_ids(4)]
    # designed path: each rolled-out chunk retrieves another way-out chunk (12, then 8, then 4)
    assert [p.retrieved[:1] for p in ro.plans] == [(12,), (8,), (4,)]
    window = score_window(clip, aligned_context(ro.plans, ro.latent_ids), ro.latent_ids, 4)
    teacher_chunks = {i // 4 for i in window.context_ids}
    assert teacher_chunks == set().union(*student_chunks) - {8, 9, 10}
    assert not teacher_chunks & {8, 9, 10} and {1, 2, 3} <= teacher_chunks
    for i, used in enumerate(student_chunks):  # every scored chunk
        seen = {j // 4 for j in _visible(window, i)}
        assert seen - {8, 9, 10} == teacher_chunks  # the clean context: the student's memory, nothing else
        assert used <= seen  # everything the student used for this chunk is there
        assert seen & {8, 9, 10} == set(range(8, 8 + i))  # plus the rolled-out chunks before it
    # the teacher's context latents are the clean data, not what the student generated
    ids = torch.tensor(window.context_ids)
    assert torch.equal(window.x_ctx, clip.latents[:, ids]) and not rolled & set(window.context_ids)
    assert not torch.allclose(ro.latents, clip.latents[:, 32:44])
    assert window.time_index[0].tolist() == list(range(len(window.context_ids) + 12))


def test_ablation_gives_the_teacher_its_own_retrieval(kit):
    student, clip = kit.tiny_dit(), kit.make_clip(n=48)
    with torch.no_grad():
        ro = student_rollout(student, clip, 32, 3, [3, 3, 3], torch.Generator().manual_seed(0))
    aligned = aligned_context(ro.plans, ro.latent_ids)
    own = own_context(clip.c2w, 32, 12, 4)
    own_chunks = {i // 4 for i in own}
    # temporal window + first chunk + ONE retrieved chunk for the whole window: not the student's memory
    assert {0, 5, 6, 7} < own_chunks and len(own_chunks) == 5 and max(own) < 32
    assert own != aligned
    dc = DistillSection(rollout_chunks=3, min_history_chunks=8, context_alignment=False)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        ro2, window = scored_rollout(student, clip, dc, g, torch.Generator().manual_seed(1))
    assert ro2.start == 32 and window.context_ids == own
    dc.context_alignment = True
    with torch.no_grad():
        ro3, window = scored_rollout(student, clip, dc, torch.Generator().manual_seed(0), torch.Generator())
    assert window.context_ids == aligned_context(ro3.plans, ro3.latent_ids)


def test_score_window_rejects_rolled_out_context(kit):
    clip = kit.make_clip()
    with pytest.raises(ValueError, match="must not contain"):
        score_window(clip, [0, 1, 2, 3, 8, 9, 10, 11], range(8, 16), 4)
    with pytest.raises(ValueError, match="whole"):
        score_window(clip, [0, 1, 2], range(8, 16), 4)
