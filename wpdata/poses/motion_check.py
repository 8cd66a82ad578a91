"""A pose track judged by the directions its camera moves in, against the two-view directions of moving pairs.

`wpdata.poses.auto_mapper` judges a model by its relative rotations; rotations cannot show misplaced
positions. The essential matrix of a pair of views that moved (not rotation-dominant,
`wpdata.poses.two_view.relative_motion`) also gives the direction of the second camera's centre in the
first camera's frame, from that pair's matches alone. A track's *direction disagreement* on pair (i, j)
is the angle between that direction and the track's own, R_i^T (c_j - c_i) (90 deg where the track does
not move at all: it says nothing). `DirectionAgreement` holds the median and a high quantile over the
evidence pairs (consecutive and second-next sampled frames).

What it catches: an out-and-back walk whose walk back incremental mapping split into ten pieces of 3-6
frames, each placed by its own scale and origin (`wpdata.poses.pieces`): estK seed 8080, out_and_back/plaza
(`benchmarks/pose_accuracy.py --kinds out_and_back`), rotations right (0.23 deg) but ATE 12% of the path;
its steps on the walk back point sideways and up in the camera. Disagreement at the 0.9 quantile: 134 deg,
against 4.1 deg for GLOMAP's model of the same clip (ATE 0.37%) and 4.7 deg for the ground truth itself
(the evidence's noise over 0.12 m steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .auto_mapper import _rank
from .two_view import Motion, Pair

__all__ = ["DirectionAgreement", "direction_agreement"]


@dataclass(frozen=True)
class DirectionAgreement:
    """How a track's moves agree with the two-view directions (deg; nan: no moving pair to judge)."""

    median_deg: float
    high_deg: float  # the `quantile` of the disagreements
    pairs: int  # evidence pairs judged


def direction_agreement(
    c2w: np.ndarray, motions: dict[Pair, Motion], quantile: float = 0.9
) -> DirectionAgreement:
    """Disagreement of a track c2w [S, 4, 4] (sampled frames, OpenCV) with the directions of the pairs that
    moved in `wpdata.poses.two_view.pair_motions` (rotation-dominant pairs have none)."""
    errs = []
    for (i, j), (_, d) in sorted(motions.items()):
        if d is None:
            continue
        move = c2w[i, :3, :3].T @ (c2w[j, :3, 3] - c2w[i, :3, 3])  # [3] in camera i
        n = float(np.linalg.norm(move))
        errs.append(90.0 if n == 0 else float(np.degrees(np.arccos(np.clip(move @ d / n, -1.0, 1.0)))))
    if not errs:
        return DirectionAgreement(float("nan"), float("nan"), 0)
    e = np.sort(np.asarray(errs))  # [P]
    return DirectionAgreement(float(np.median(e)), _rank(e, quantile), len(e))
