"""The `auto` mapper: a model is judged by how well it agrees with two-view rotations it was not built from.

Incremental mapping (COLMAP) and GLOMAP fail on different clips: incremental drifts or jumps where wrong
wide pairs (repeated texture) pull bundle adjustment off, GLOMAP misplaces some out-and-back and turning
clips. Neither mapper says so itself (both models are bundle-adjusted to a small reprojection error). The
evidence used instead: the relative rotation of each pair of consecutive sampled frames from its verified
matches alone (`wpdata.poses.pair_filter.pair_rotations`: a homography for rotation-dominant pairs, else the
essential matrix; within ~2 deg on every consecutive synthetic pair even where 20-25% of the wide pairs are
wrong). A model's *disagreement* on pair (i, i+1) is the angle between its relative rotation R_i^T R_{i+1}
and the pair's; a pair with a frame the model left unregistered counts as infinitely off (the model says
nothing there). `Agreement` holds the median and the `quantile` (0.9) of these angles over all pairs with a
two-view rotation, and the registered fraction.

Rule (thresholds in `SfMConfig`): map incrementally; keep that model when its high quantile is at most
`auto_max_deg` (so at least 90% of the evidence pairs are registered and agree within it). Otherwise also
map globally (`wpdata.poses.global_sfm`) and keep the model with the smaller high quantile, then the smaller
median; ties keep incremental. The quantile rather than the mean: one badly conditioned pair must not
decide, but a model that is bent along a tenth of the clip must. Without a focal for the two-view rotations
(K unknown, no turns, no moving pairs) GLOMAP cannot run and incremental is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pair_filter import pair_rotations
from .rotations import _angle_deg

__all__ = ["Agreement", "agreement", "consecutive_rotations", "prefer"]


@dataclass(frozen=True)
class Agreement:
    """How a model's consecutive relative rotations agree with the two-view ones (deg; inf: unregistered)."""

    median_deg: float
    high_deg: float  # the `quantile` of the disagreements
    registered_fraction: float  # of the sampled frames
    pairs: int  # consecutive pairs with a two-view rotation (the evidence)


def consecutive_rotations(
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]], K: np.ndarray | None, names: list[str]
) -> list[np.ndarray | None]:
    """R_{i,i+1} [3, 3] of consecutive images (`pair_rotations` of their matches `pairs`), None where unknown."""
    rot = pair_rotations({ij: m for ij, m in pairs.items() if ij[1] == ij[0] + 1}, K) if K is not None else {}
    return [rot.get((i, i + 1)) for i in range(len(names) - 1)]


def agreement(
    c2w: dict[str, np.ndarray], names: list[str], rel: list[np.ndarray | None], quantile: float = 0.9
) -> Agreement:
    """Disagreement of a model (name -> c2w [4, 4]) with rel[i] = R_{i,i+1} [3, 3] (rays of frame i+1 in i)."""
    errs = []
    for i, R in enumerate(rel):
        if R is None:
            continue
        a, b = c2w.get(names[i]), c2w.get(names[i + 1])
        errs.append(np.inf if a is None or b is None else _angle_deg(R.T @ a[:3, :3].T @ b[:3, :3]))
    reg = sum(k in c2w for k in names) / max(len(names), 1)
    if not errs:
        return Agreement(float("inf"), float("inf"), reg, 0)
    e = np.sort(np.asarray(errs))  # [P]
    return Agreement(_rank(e, 0.5), _rank(e, quantile), reg, len(e))


def _rank(sorted_errs: np.ndarray, q: float) -> float:
    """The q-quantile of sorted values by nearest rank (an order statistic: inf stays inf, no interpolation)."""
    k = int(np.ceil(q * len(sorted_errs))) - 1
    return float(sorted_errs[min(max(k, 0), len(sorted_errs) - 1)])


def prefer(incremental: Agreement, other: Agreement) -> bool:
    """Whether `other` agrees strictly better than `incremental`: smaller high quantile, then median."""
    return (other.high_deg, other.median_deg) < (incremental.high_deg, incremental.median_deg)
