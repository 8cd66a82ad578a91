import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from manifests.fov import fov_similarity_batch
from wpmodel.memory.index import MemoryIndex
from wpmodel.memory.retrieval import chunk_scores, retrieve_memory_chunks


def random_poses(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    """[n, 4, 4] c2w with any yaw, some pitch and roll, positions ~ N(0, spread) around (50, 2, -30)."""
    c2w = np.tile(np.eye(4), (n, 1, 1))
    c2w[:, :3, :3] = Rotation.from_euler("yxz", rng.uniform(-1, 1, (n, 3)) * [np.pi, 0.3, 0.3]).as_matrix()
    c2w[:, :3, 3] = np.array([50.0, 2.0, -30.0]) + rng.normal(0, spread, (n, 3))
    return c2w


def test_indexed_similarity_agrees_with_the_release_sampling():
    """Both estimate the same overlap with ~2,400 points in the query view: each estimate has sampling
    noise <= sqrt(0.25 / 2400) ~ 0.01, so their difference stays within 0.05 (5 sigma)."""
    rng = np.random.default_rng(0)
    hist = random_poses(rng, 300, 3.0)
    query = hist[:6].copy()
    query[:, :3, 3] += rng.normal(0, 1.0, (6, 3))
    index = MemoryIndex(offsets=None)
    index.add(hist)
    got = index.similarity(query, np.arange(300))  # [6, 300]
    want = fov_similarity_batch(query, hist)
    assert (want > 0.1).sum() >= 100 and (want == 0).sum() >= 100  # overlapping and disjoint pairs
    diff = got - want
    assert np.abs(diff).max() <= 0.05
    assert np.sqrt((diff**2).mean()) <= 0.01
    assert np.all(got[want == 0] <= 0.02)  # culled pairs stay (nearly) disjoint


def test_identical_pose_is_one_and_opposite_far_is_zero(cams):
    q = cams.yaw_pose(0.3, (1.0, 0.0, 2.0))
    far_opposite = cams.yaw_pose(0.3 + math.pi, (1.0, 0.0, 2.0 - 20.0))
    index = MemoryIndex(offsets=None)
    index.add(np.stack([q, far_opposite]))
    assert index.similarity(q[None], np.array([0, 1])).tolist() == [[1.0, 0.0]]


def test_incremental_adds_equal_one_bulk_add_and_are_deterministic(cams):
    c2w = cams.turn_loop(40)
    bulk = MemoryIndex()
    bulk.add(c2w[:100])
    steps = MemoryIndex()
    for s in range(0, 100, 4):  # as streaming generation adds them: one chunk at a time
        steps.add(c2w[s : s + 4])
    latents = np.arange(0, 100, 2)
    a = bulk.similarity(c2w[100:104], latents)
    assert np.array_equal(a, steps.similarity(c2w[100:104], latents))
    assert np.array_equal(a, bulk.similarity(c2w[100:104], latents))  # repeated query, same bytes


def test_indexed_scores_follow_the_exact_scores(cams):
    c2w = cams.turn_loop(40)
    n = cams.second_leg_start(40) + 20
    starts, exact = chunk_scores(c2w[:n], c2w[n : n + 4])
    index = MemoryIndex()
    index.add(c2w[:n])
    starts_i, indexed = chunk_scores(c2w[:n], c2w[n : n + 4], index=index)
    assert np.array_equal(starts, starts_i)
    assert np.abs(indexed - exact).max() <= 0.03
    assert indexed.argmin() == exact.argmin() == starts.tolist().index(20)


def test_streaming_index_retrieves_like_the_exact_method(cams):
    c2w = cams.reverse_walk(40)
    index = MemoryIndex()
    for n in (48, 60, 68):
        index.add(c2w[len(index) : n])
        got = retrieve_memory_chunks(c2w[:n], c2w[n : n + 4], index=index)  # method "auto" -> indexed
        assert got == retrieve_memory_chunks(c2w[:n], c2w[n : n + 4], method="fov")
        assert got[0] == 79 - n - 3


def test_only_the_scored_offsets_are_indexed(cams):
    c2w = cams.reverse_walk(40)
    index = MemoryIndex()
    index.add(c2w[:20])
    assert index.indexed(np.arange(8)).tolist() == [True, False, True, False] * 2
    assert len(index) == 20 and np.array_equal(index.c2w, c2w[:20])
    with pytest.raises(ValueError, match="not in the index"):
        index.similarity(c2w[20:24], np.array([1]))
    with pytest.raises(ValueError, match="not in the index"):
        index.similarity(c2w[20:24], np.array([20]))  # not added yet


def test_bad_input_raises(cams):
    c2w = cams.reverse_walk(40)
    index = MemoryIndex()
    with pytest.raises(ValueError, match="c2w_latents"):
        index.add(c2w[0])
    with pytest.raises(ValueError, match="non-finite"):
        index.add(np.full((1, 4, 4), np.nan))
    with pytest.raises(ValueError, match="from the origin"):
        index.add(np.stack([np.eye(4)] * 2) + np.pad(np.full((2, 3, 1), 3e6), ((0, 0), (0, 1), (3, 0))))
    assert len(index) == 0  # nothing was added
    with pytest.raises(ValueError, match="multiple of 64"):
        MemoryIndex(points_per_cell=100)
    with pytest.raises(ValueError, match="offsets"):
        MemoryIndex(offsets=(0, 4))
    index.add(c2w[:40])
    with pytest.raises(ValueError, match="index holds 40 latents"):
        retrieve_memory_chunks(c2w[:44], c2w[44:48], index=index)  # the index lags the history
    moved = c2w[:40].copy()
    moved[5, 0, 3] += 1.0
    with pytest.raises(ValueError, match="index holds 40 latents"):
        retrieve_memory_chunks(moved, c2w[40:44], index=index)  # other poses
    odd = MemoryIndex(offsets=(0, 1))
    odd.add(c2w[:40])
    with pytest.raises(ValueError, match="offsets"):
        retrieve_memory_chunks(c2w[:40], c2w[40:44], index=odd)
