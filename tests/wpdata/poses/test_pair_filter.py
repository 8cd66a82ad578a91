"""Verified pairs whose two-view rotation contradicts the chain of consecutive rotations are found."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wpdata.poses.pair_filter import inconsistent_pairs, pair_rotations
from wpdata.synth import intrinsics

K = intrinsics(640, 360)


def _matches(
    c1: np.ndarray, c2: np.ndarray, rng: np.random.Generator, points: int = 4000
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels [M, 2] of shared random scene points in two c2w [4, 4] cameras (0.3 px noise)."""
    X = np.column_stack([rng.uniform(-6, 6, points), rng.uniform(-2, 2, points), rng.uniform(3, 12, points)])
    out, oks = [], []
    for c in (c1, c2):
        Xc = (X - c[:3, 3]) @ c[:3, :3]  # [N, 3]
        x = Xc @ K.T
        x = x[:, :2] / x[:, 2:3]
        oks.append((Xc[:, 2] > 0.1) & (x[:, 0] > 0) & (x[:, 0] < 640) & (x[:, 1] > 0) & (x[:, 1] < 360))
        out.append(x)
    ok = oks[0] & oks[1]
    return tuple(x[ok] + rng.normal(0, 0.3, (ok.sum(), 2)) for x in out)


def test_a_pair_off_its_chain_is_found_and_the_others_kept() -> None:
    rng = np.random.default_rng(0)
    n = 8
    c2w = np.broadcast_to(np.eye(4), (n, 4, 4)).copy()  # [n, 4, 4] a walk that turns 3 deg per frame
    c2w[:, :3, :3] = Rotation.from_euler("y", 3.0 * np.arange(n)[:, None], degrees=True).as_matrix()
    c2w[:, :3, 3] = np.column_stack([0.15 * np.arange(n), np.zeros(n), np.zeros(n)])
    pairs = {(i, j): _matches(c2w[i], c2w[j], rng) for i in range(n) for j in (i + 1, i + 2, i + 4) if j < n}
    wrong = c2w[4].copy()  # pair (0, 4) matched to a view turned 25 deg further (repeated texture)
    wrong[:3, :3] = Rotation.from_euler("y", 37.0, degrees=True).as_matrix()
    pairs[(0, 4)] = _matches(c2w[0], wrong, rng)
    bad = inconsistent_pairs(pair_rotations(pairs, K), max_deg=5.0)
    assert [(i, j) for i, j, _ in bad] == [(0, 4)]
    assert 20 < bad[0][2] < 30  # its disagreement, deg
    del pairs[(2, 3)]  # a missing link: pairs across it cannot be checked and are kept
    assert inconsistent_pairs(pair_rotations(pairs, K), max_deg=5.0) == []
