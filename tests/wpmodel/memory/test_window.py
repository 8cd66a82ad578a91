import numpy as np
import pytest

from manifests.fov import sample_ball_points
from wpmodel.memory.window import latent_c2w, merge_timesteps, sample_training_window

PTS = sample_ball_points(10_000, 8.0, np.random.default_rng(0))  # fewer points keep the tests fast


def test_memory_mode_window(cams):
    c2w = cams.reverse_walk(40)
    w = sample_training_window(80, c2w, np.random.default_rng(0), p_memory=1.0, points=PTS)
    assert w.memory_mode and w.target_start % 4 == 0 and w.target_start >= 20
    assert len(w.indices) == 24
    assert w.indices[-4:].tolist() == list(range(w.target_start, w.target_start + 4))
    assert np.all(np.diff(w.indices[:20]) > 0) and w.indices[:4].tolist() == [0, 1, 2, 3]
    assert w.indices[8:20].tolist() == list(range(w.target_start - 12, w.target_start))
    assert w.time_index.tolist() == list(range(24))
    assert w.chunk_id.tolist() == [i // 4 for i in range(24)]
    assert w.loss_mask.tolist() == [False] * 20 + [True] * 4
    ctx_t = w.context_noise_t[:20].reshape(5, 4)
    assert np.all(ctx_t == ctx_t[:, :1])  # one flow time per context chunk
    assert np.all((ctx_t > 0.04) & (ctx_t <= 0.75)) and np.isnan(w.context_noise_t[20:]).all()
    sampled = np.full(24, 0.9)
    assert np.array_equal(merge_timesteps(sampled, w.context_noise_t)[20:], sampled[20:])


def test_memory_window_holds_the_revisited_chunk(cams):
    c2w = cams.reverse_walk(40)
    w = sample_training_window(80, c2w, np.random.default_rng(0), p_memory=1.0, points=PTS)
    s = w.target_start
    revisit = 79 - s - 3  # the out chunk at the target's place
    if revisit not in range(s - 12, s) and revisit != 0:
        assert set(range(revisit, revisit + 4)) <= set(w.indices[:20].tolist())


def test_plain_mode_and_short_clips(cams):
    c2w = cams.reverse_walk(40)
    w = sample_training_window(80, c2w, np.random.default_rng(0), p_memory=0.0)
    assert not w.memory_mode and w.indices.tolist() == list(range(24)) and w.loss_mask.all()
    assert np.isnan(w.context_noise_t).all() and w.time_index.tolist() == list(range(24))
    short = sample_training_window(22, c2w[:22], np.random.default_rng(0), p_memory=1.0)
    assert not short.memory_mode and len(short.indices) == 22  # no target chunk has a full context


def test_memory_fraction_deterministic_and_absolute_mode(cams):
    c2w = cams.reverse_walk(40)
    draws = [sample_training_window(80, c2w, np.random.default_rng(i), points=PTS) for i in range(60)]
    frac = np.mean([w.memory_mode for w in draws])
    assert 0.6 < frac < 0.95
    a = sample_training_window(80, c2w, np.random.default_rng(5), p_memory=1.0, points=PTS)
    b = sample_training_window(80, c2w, np.random.default_rng(5), p_memory=1.0, points=PTS)
    for x, y in (
        (a.indices, b.indices),
        (a.time_index, b.time_index),
        (a.context_noise_t, b.context_noise_t),
    ):
        assert np.array_equal(x, y, equal_nan=True)
    c = sample_training_window(
        80, c2w, np.random.default_rng(5), p_memory=1.0, points=PTS, time_mode="absolute"
    )
    assert np.array_equal(c.time_index, c.indices)


def test_latent_c2w_and_bad_input(cams):
    frames = np.stack([cams.yaw_pose(0.0, (0, 0, i)) for i in range(17)])
    assert latent_c2w(frames)[:, 2, 3].tolist() == [0, 4, 8, 12, 16]
    with pytest.raises(ValueError, match="c2w_latents"):
        sample_training_window(80, np.eye(4)[None], np.random.default_rng(0))
    with pytest.raises(ValueError, match="p_memory"):
        sample_training_window(1, np.eye(4)[None], np.random.default_rng(0), p_memory=2.0)
