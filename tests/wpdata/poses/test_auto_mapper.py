"""A model's agreement with the consecutive pairs' two-view rotations, and the auto mapper's choice by it."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.auto_mapper import Agreement, agreement, consecutive_rotations, prefer
from wpdata.synth import intrinsics

K = intrinsics(640, 360)
N = 12
NAMES = [f"{i:06d}.png" for i in range(N)]


def _matches(c1: np.ndarray, c2: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pixels [M, 2] of shared random scene points in two c2w [4, 4] cameras (0.3 px noise)."""
    X = np.column_stack([rng.uniform(-6, 6, 3000), rng.uniform(-2, 2, 3000), rng.uniform(3, 12, 3000)])
    out, oks = [], []
    for c in (c1, c2):
        Xc = (X - c[:3, 3]) @ c[:3, :3]  # [P, 3]
        x = Xc @ K.T
        x = x[:, :2] / x[:, 2:3]
        oks.append((Xc[:, 2] > 0.1) & (x[:, 0] > 0) & (x[:, 0] < 640) & (x[:, 1] > 0) & (x[:, 1] < 360))
        out.append(x)
    ok = oks[0] & oks[1]
    return tuple(x[ok] + rng.normal(0, 0.3, (ok.sum(), 2)) for x in out)


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


def test_unregistered_frames_count_as_disagreement() -> None:
    rel = _evidence()
    model = dict(zip(NAMES, _walk(), strict=True))
    del model[NAMES[3]]  # pairs (2, 3) and (3, 4): no model rotation, infinitely off
    a = agreement(model, NAMES, rel)
    assert a.registered_fraction == (N - 1) / N and np.isinf(a.high_deg) and a.median_deg < 0.3
    assert (
        agreement(model, NAMES, rel, quantile=0.75).high_deg < 0.3
    )  # 2 of 10 pairs, above the 0.75 quantile
    assert agreement({}, NAMES, rel) == Agreement(np.inf, np.inf, 0.0, N - 2)
    assert agreement(model, NAMES, [None] * (N - 1)).pairs == 0  # no evidence: nothing agrees
    assert consecutive_rotations({(0, 1): (np.zeros((30, 2)), np.zeros((30, 2)))}, None, NAMES) == [None] * (
        N - 1
    )
