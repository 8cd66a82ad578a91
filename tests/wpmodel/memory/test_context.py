import numpy as np
import pytest

from wpmodel.memory.context import build_context, reframe


def test_release_layout_and_reframed_indices_are_contiguous():
    plan = build_context(100, retrieved=[40, 8])
    assert plan.temporal == tuple(range(88, 100))
    assert plan.memory == (0, 1, 2, 3, 40, 41, 42, 43)  # first chunk + the best retrieved chunk
    assert plan.context == plan.memory + plan.temporal and len(plan.context) == 20
    assert plan.target == (100, 101, 102, 103)
    assert plan.retrieved == (40,)
    t = reframe(plan)
    assert t.tolist() == list(range(24))  # context 0..19 in sorted order, target right after at 20..23
    assert reframe(plan, "absolute").tolist() == list(plan.context) + [100, 101, 102, 103]
    assert plan.indices.tolist() == list(plan.context) + [100, 101, 102, 103]


def test_first_chunk_and_duplicates_are_deduplicated():
    plan = build_context(100, retrieved=[0, 88, 52, 8])  # 0: first chunk; 88: temporal
    assert plan.retrieved == (52,)
    assert plan.memory == (0, 1, 2, 3, 52, 53, 54, 55)
    assert len(plan.context) == len(set(plan.context)) == 20


def test_context_is_capped_at_memory_size():
    plan = build_context(200, retrieved=[16, 32, 48, 64], memory_latents=12)
    assert plan.retrieved == (16, 32) and len(plan.context) == 24


def test_short_history_uses_what_exists():
    plan = build_context(8, retrieved=[])
    assert plan.context == tuple(range(8)) and plan.memory == ()
    assert reframe(plan).tolist() == list(range(12))
    assert build_context(0, []).context == ()


def test_bad_input_raises():
    with pytest.raises(ValueError, match="outside"):
        build_context(40, retrieved=[40])
    with pytest.raises(ValueError, match="mode"):
        reframe(build_context(40, []), "relative")
    assert isinstance(reframe(build_context(40, [])), np.ndarray)
