"""Verified image pairs whose two-view rotation contradicts the chain of their neighbours' rotations.

Sequential matching with quadratic overlap pairs frames i and i + 2^k; in a room or a plaza with
repeated texture some of those wide pairs (50-130 deg apart, 20-50 matches) pass COLMAP's geometric
verification with a wrong relative pose (on a synthetic loop in a room 34 of 180 verified pairs were
2-100 deg off). Mapping with them drifts or jumps (incremental and GLOMAP's global mapper alike),
while the rotations of consecutive pairs are right. So each pair (i, j), j > i + 1, is checked
against the product of the consecutive rotations R_{i,i+1} ... R_{j-1,j} (a cycle-consistency test,
as in loop-closure verification) and dropped when they disagree by more than `max_deg`; a pair whose
chain has a missing link is kept (nothing to check it against). The chain drifts with its length,
so the allowed disagreement grows by `per_link_deg` per link.
"""

from __future__ import annotations

import numpy as np

from .two_view import _angle_deg, relative_rotation

__all__ = ["inconsistent_pairs", "pair_rotations"]

Pair = tuple[int, int]


def pair_rotations(
    pairs: dict[Pair, tuple[np.ndarray, np.ndarray]], K: np.ndarray
) -> dict[Pair, np.ndarray | None]:
    """Two-view rotation [3, 3] of every pair (None where it cannot be estimated).

    pairs: (i, j) -> matched pixels (x_i [M, 2], x_j [M, 2]) (`wpdata.poses.colmap_db.read_pair_matches`);
    K [3, 3] pixel intrinsics.
    """
    return {ij: relative_rotation(xi, xj, K) for ij, (xi, xj) in sorted(pairs.items())}


def inconsistent_pairs(
    rotations: dict[Pair, np.ndarray | None], max_deg: float = 5.0, per_link_deg: float = 0.5
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, disagreement deg) whose rotation (`pair_rotations`) is off the chain of consecutive
    rotations. A pair whose own rotation could not be estimated is reported with nan."""
    n = max((j for _, j in rotations), default=0) + 1
    step = [rotations.get((i, i + 1)) for i in range(n - 1)]  # R_{i,i+1} [3, 3] or None
    out = []
    for (i, j), R in sorted(rotations.items()):
        if j - i < 2 or any(step[k] is None for k in range(i, j)):
            continue
        chain = np.eye(3)
        for k in range(i, j):
            chain = chain @ step[k]
        if R is None:
            out.append((i, j, float("nan")))
            continue
        err = _angle_deg(chain.T @ R)
        if err > max_deg + per_link_deg * (j - i):
            out.append((i, j, err))
    return out
