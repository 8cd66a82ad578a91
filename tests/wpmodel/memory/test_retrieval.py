import numpy as np
import pytest

from wpmodel.memory.retrieval import candidate_starts, chunk_scores, retrieve_memory_chunks


@pytest.mark.parametrize("method", ["fov", "indexed"])
def test_reverse_walk_retrieves_the_chunk_at_the_same_place(cams, method):
    c2w = cams.reverse_walk(40)  # back leg latent 40 + j is at the place of out latent 39 - j
    for n in (48, 60, 68):
        got = retrieve_memory_chunks(c2w[:n], c2w[n : n + 4], method=method)
        assert got[0] == 79 - n - 3, (n, got)  # the out chunk covering the query's positions


@pytest.mark.parametrize("method", ["fov", "indexed"])
def test_turn_loop_retrieves_the_first_leg_chunk(cams, method):
    c2w = cams.turn_loop(40)  # out facing +z, turn 180, back facing -z, turn 180, out again
    s2 = cams.second_leg_start(40)
    for i in (12, 20, 28):  # query: the chunk of the second pass at the place of first-leg latents i..i+3
        n = s2 + i
        got = retrieve_memory_chunks(c2w[:n], c2w[n : n + 4], method=method)
        assert got[0] == i, (i, got)
        assert got[0] < 40  # from the first leg, not the walk back facing the other way


def test_candidates_are_older_than_the_temporal_window():
    assert candidate_starts(16).tolist() == [0]
    assert candidate_starts(15).tolist() == []
    assert candidate_starts(40).tolist() == [0, 4, 8, 12, 16, 20, 24]  # 28..39 is the temporal window
    assert candidate_starts(40, temporal_chunks=1).tolist() == list(range(0, 33, 4))


@pytest.mark.parametrize("method", ["fov", "indexed"])
def test_short_history_retrieves_nothing_and_k_limits(cams, method):
    c2w = cams.reverse_walk(40)
    assert retrieve_memory_chunks(c2w[:12], c2w[12:16], method=method) == []
    assert (
        len(retrieve_memory_chunks(c2w[:60], c2w[60:64], method=method)) == 2
    )  # memory_latents 8 // chunk 4
    assert len(retrieve_memory_chunks(c2w[:60], c2w[60:64], k=5, method=method)) == 5


def test_scores_follow_the_release_formula_and_are_deterministic(cams):
    c2w = cams.turn_loop(40)
    n = cams.second_leg_start(40) + 20
    starts, scores = chunk_scores(c2w[:n], c2w[n : n + 4])
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.argmin() == starts.tolist().index(20) and scores.min() < 0.15  # same poses, 0.25 m apart
    starts2, scores2 = chunk_scores(c2w[:n], c2w[n : n + 4])
    assert np.array_equal(scores, scores2)


def test_worldmem_picks_the_revisit_then_what_it_leaves_uncovered(cams):
    c2w = cams.turn_loop(40)
    n = cams.second_leg_start(40) + 20
    fov = retrieve_memory_chunks(c2w[:n], c2w[n : n + 4], k=3)
    wm = retrieve_memory_chunks(c2w[:n], c2w[n : n + 4], k=3, method="worldmem")
    assert wm[0] == 20 and len(set(wm)) == 3
    assert fov[1:] != wm[1:]  # coverage removal changes the later picks (fov keeps near-duplicates)


def test_bad_input_raises(cams):
    c2w = cams.reverse_walk(40)
    with pytest.raises(ValueError, match="query_latents"):
        retrieve_memory_chunks(c2w[:40], c2w[0])
    with pytest.raises(ValueError, match="method"):
        retrieve_memory_chunks(c2w[:40], c2w[40:44], method="nearest")
