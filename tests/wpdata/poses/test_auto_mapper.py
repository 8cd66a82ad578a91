"""A model's agreement with the consecutive pairs' two-view rotations, and the auto mapper's choice by it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.poses import SfMConfig, estimate_poses, pose_errors
from wpdata.poses.auto_mapper import Agreement, agreement, consecutive_rotations, prefer
from wpdata.synth import intrinsics, make_world, walking, write_sekai_clip

from .test_pair_filter import _matches as pair_matches

K = intrinsics(640, 360)
N = 12
NAMES = [f"{i:06d}.png" for i in range(N)]


def _matches(c1: np.ndarray, c2: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pixels [M, 2] of 3000 shared random scene points in two c2w [4, 4] cameras (0.3 px noise)."""
    return pair_matches(c1, c2, rng, points=3000)


def _walk() -> np.ndarray:
    """c2w [N, 4, 4] of a camera walking sideways while it turns 2 deg per frame."""
    c2w = np.broadcast_to(np.eye(4), (N, 4, 4)).copy()
    c2w[:, :3, :3] = Rotation.from_euler("y", 2.0 * np.arange(N)[:, None], degrees=True).as_matrix()
    c2w[:, 0, 3] = 0.1 * np.arange(N)
    return c2w


def _evidence() -> list[np.ndarray | None]:
    rng = np.random.default_rng(0)
    gt = _walk()
    pairs = {(i, i + 1): _matches(gt[i], gt[i + 1], rng) for i in range(N - 1)}
    pairs[(0, 2)] = _matches(gt[0], gt[2], rng)  # wider pairs are not evidence
    del pairs[(5, 6)]  # a pair without matches: no evidence there
    return consecutive_rotations(pairs, K, NAMES)


def test_the_true_model_agrees_and_a_bent_one_does_not() -> None:
    rel = _evidence()
    assert len(rel) == N - 1 and rel[5] is None and sum(r is not None for r in rel) == N - 2
    gt = _walk()
    good = agreement(dict(zip(NAMES, gt, strict=True)), NAMES, rel)
    assert good.pairs == N - 2 and good.registered_fraction == 1.0
    assert good.high_deg < 0.3 and good.median_deg <= good.high_deg
    bent = gt.copy()  # a model that turns 4 deg too far at frames 8 and 9 (pulled off by a wrong wide pair)
    turn = Rotation.from_euler("x", 4.0, degrees=True).as_matrix()
    bent[8:, :3, :3] = turn @ bent[8:, :3, :3]
    bent[9:, :3, :3] = turn @ bent[9:, :3, :3]
    off = agreement(dict(zip(NAMES, bent, strict=True)), NAMES, rel)
    assert 3.5 < off.high_deg < 4.5 and off.median_deg < 0.3  # 2 of 10 pairs off: the 0.9 quantile sees it
    assert prefer(off, good) and not prefer(good, off) and not prefer(good, good)  # ties keep incremental
    close = Agreement(off.median_deg, 0.8 * off.high_deg, 1.0, off.pairs)  # better, within the margin
    assert not prefer(off, close) and prefer(off, close, min_gain=0.1)
    assert not prefer(Agreement(np.inf, np.inf, 0.0, 0), good)  # no incremental model: nothing to judge, kept


def test_pairs_with_an_unregistered_frame_are_not_judged_and_fewer_frames_never_win() -> None:
    rel = _evidence()
    gt = dict(zip(NAMES, _walk(), strict=True))
    part = {k: v for k, v in gt.items() if k != NAMES[3]}  # pairs (2, 3) and (3, 4) cannot be judged
    a = agreement(part, NAMES, rel)
    assert a.registered_fraction == (N - 1) / N and a.pairs == N - 4 and a.high_deg < 0.3
    bent = dict(gt)  # every frame registered, but turned 3 deg off at frames 8 and 9
    turn = Rotation.from_euler("z", 3.0, degrees=True).as_matrix()
    for start in (8, 9):
        for k in NAMES[start:]:
            bent[k] = bent[k].copy()
            bent[k][:3, :3] = turn @ bent[k][:3, :3]
    off = agreement(bent, NAMES, rel)
    assert off.registered_fraction == 1.0 and off.pairs == N - 2 and off.high_deg > 2.5
    assert not prefer(off, a)  # agrees better, yet registers fewer frames: incremental stays
    assert prefer(off, agreement(gt, NAMES, rel))
    assert agreement({}, NAMES, rel) == Agreement(np.inf, np.inf, 0.0, 0)
    assert agreement(gt, NAMES, [None] * (N - 1)).pairs == 0  # no evidence: nothing agrees
    assert consecutive_rotations({(0, 1): (np.zeros((30, 2)), np.zeros((30, 2)))}, None, NAMES) == [None] * (
        N - 1
    )


def _walk_clip(folder: Path, seed: int, T: int) -> tuple[Path, np.ndarray, np.ndarray]:
    """A T-frame 320x180 walk down a street: (mp4, GT c2w [T, 4, 4], GT K [3, 3])."""
    world = make_world(seed, "street")
    c2w, K = walking(world, T, 24.0, seed=seed), intrinsics(320, 180)
    return write_sekai_clip(folder, world, c2w, K, 320, 180, 24.0, "walk"), c2w, K


@pytest.fixture(scope="module")
def bent_walk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """48 frames (24 sampled) that incremental mapping gets 7.5 deg off even with the true K."""
    return _walk_clip(tmp_path_factory.mktemp("bent"), 3, 48)


@pytest.fixture(scope="module")
def good_walk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """64 frames (32 sampled) that incremental mapping gets right."""
    return _walk_clip(tmp_path_factory.mktemp("good"), 0, 64)


def test_auto_replaces_an_incremental_model_that_disagrees_with_the_pairs(bent_walk) -> None:
    mp4, gt, K = bent_walk
    cfg = SfMConfig(max_frames=24, mapper="auto")
    inc = estimate_poses(mp4, SfMConfig(max_frames=24, mapper="incremental"), K=K)
    auto = estimate_poses(mp4, cfg, K=K)
    assert inc.mapper == "incremental" and inc.rot_agreement_high_deg > cfg.auto_max_deg  # GLOMAP runs too
    assert auto.mapper == "global"
    assert auto.rot_agreement_high_deg <= (1 - cfg.auto_min_gain) * inc.rot_agreement_high_deg
    rot_inc, rot_auto = (pose_errors(gt, t.c2w)["rot_median_deg"] for t in (inc, auto))
    assert rot_auto < 1.0 < rot_inc  # the model that agrees with the pairs is the right one
    np.testing.assert_array_equal(estimate_poses(mp4, cfg, K=K).c2w, auto.c2w)  # deterministic


def test_auto_keeps_an_incremental_model_that_agrees(good_walk) -> None:
    mp4, gt, K = good_walk
    inc = estimate_poses(mp4, SfMConfig(max_frames=32, mapper="incremental"), K=K)
    auto = estimate_poses(mp4, SfMConfig(max_frames=32, mapper="auto"), K=K)
    assert auto.mapper == inc.mapper == "incremental"
    assert auto.rot_agreement_deg <= auto.rot_agreement_high_deg <= 0.5  # within auto_max_deg: no GLOMAP
    np.testing.assert_array_equal(auto.c2w, inc.c2w)
    assert pose_errors(gt, auto.c2w)["rot_median_deg"] < 1.0
