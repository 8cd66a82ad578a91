"""Trajectory error metrics ATE (APE, translation part) and RPE, matching evo 1.38's numbers.

evo (github.com/MichaelGrupp/evo) is GPL and a heavy dependency for two formulas, so the metrics
are written here; `tests/wpdata/geometry/test_metrics.py` checks them against evo's printed output.
"""

from __future__ import annotations

import numpy as np

from .align import align_trajectory
from .convention import as_se3, invert_se3


def error_statistics(errors: np.ndarray) -> dict[str, float]:
    """evo's statistics of an error array [M]: rmse, mean, median, std, min, max, sse."""
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        raise ValueError("error_statistics: empty error array")
    sq = e**2
    return {
        "rmse": float(np.sqrt(np.mean(sq))),
        "mean": float(np.mean(e)),
        "median": float(np.median(e)),
        "std": float(np.std(e)),
        "min": float(np.min(e)),
        "max": float(np.max(e)),
        "sse": float(np.sum(sq)),
    }


def _check_pair(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = as_se3(ref, "ref")
    est = as_se3(est, "est")
    if ref.ndim != 3 or ref.shape != est.shape:
        raise ValueError(
            f"ref and est must be equal-length [N, 4, 4] (associate first), got {ref.shape}, {est.shape}"
        )
    return ref, est


def ape_errors(ref_c2w: np.ndarray, est_c2w: np.ndarray, align: str | None = "se3") -> np.ndarray:
    """Per-pose translation errors [N] after aligning est to ref ("se3", "sim3" or None)."""
    ref, est = _check_pair(ref_c2w, est_c2w)
    if align not in (None, "se3", "sim3"):
        raise ValueError(f"align must be None, 'se3' or 'sim3', got {align!r}")
    if align is not None:
        est, _ = align_trajectory(est, ref, with_scale=align == "sim3")
    return np.linalg.norm(est[:, :3, 3] - ref[:, :3, 3], axis=1)


def ate(ref_c2w: np.ndarray, est_c2w: np.ndarray, align: str | None = "se3") -> dict[str, float]:
    """APE translation statistics (evo_ape -a: align="se3"; -as: "sim3"; none: None)."""
    return error_statistics(ape_errors(ref_c2w, est_c2w, align))


def pairs_by_frames(n: int, delta: int) -> list[tuple[int, int]]:
    """Consecutive pairs (i, i + delta) starting at 0, as evo's `filter_pairs_by_index`."""
    if delta < 1:
        raise ValueError(f"frame delta must be >= 1, got {delta}")
    ids = list(range(0, n, delta))
    return list(zip(ids, ids[1:], strict=False))


def pairs_by_path(positions: np.ndarray, delta: float) -> list[tuple[int, int]]:
    """Consecutive pairs by travelled distance, as evo's `filter_pairs_by_path` (all_pairs=False).

    From index i, j is the first index whose path length accumulated since i reaches `delta`;
    the next pair starts at j.
    """
    if delta <= 0:
        raise ValueError(f"distance delta must be > 0, got {delta}")
    p = np.asarray(positions, dtype=np.float64)  # [N, 3]
    steps = np.linalg.norm(np.diff(p, axis=0), axis=1)  # [N - 1]
    pairs: list[tuple[int, int]] = []
    i, acc = 0, 0.0
    for j in range(1, len(p)):
        acc += float(steps[j - 1])
        if acc >= delta:
            pairs.append((i, j))
            i, acc = j, 0.0
    return pairs


def rpe_errors(
    ref_c2w: np.ndarray,
    est_c2w: np.ndarray,
    delta: float = 1,
    unit: str = "frames",
    pairs_from_reference: bool = False,
) -> np.ndarray:
    """Translation norms [M] of inv(inv(ref_i) ref_j) @ inv(est_i) est_j over the selected pairs.

    `unit` is "frames" (pairs i, i + delta) or "m" (consecutive pairs `delta` metres of path apart).
    Like evo's default, pairs are chosen on the estimate unless `pairs_from_reference`.
    """
    ref, est = _check_pair(ref_c2w, est_c2w)
    basis = ref if pairs_from_reference else est
    if unit in ("frames", "f"):
        if float(delta) != int(delta):
            raise ValueError(f"frame delta must be an integer, got {delta}")
        pairs = pairs_by_frames(len(basis), int(delta))
    elif unit in ("m", "meters", "metres"):
        pairs = pairs_by_path(basis[:, :3, 3], float(delta))
    else:
        raise ValueError(f"unit must be 'frames' or 'm', got {unit!r}")
    if not pairs:
        raise ValueError(f"no pose pairs for delta={delta} {unit} (trajectory too short)")
    i, j = np.array(pairs).T
    rel_ref = invert_se3(ref[i]) @ ref[j]  # [M, 4, 4]
    rel_est = invert_se3(est[i]) @ est[j]  # [M, 4, 4]
    err = invert_se3(rel_ref) @ rel_est
    return np.linalg.norm(err[:, :3, 3], axis=1)


def rpe(
    ref_c2w: np.ndarray,
    est_c2w: np.ndarray,
    delta: float = 1,
    unit: str = "frames",
    pairs_from_reference: bool = False,
) -> dict[str, float]:
    """RPE translation statistics (evo_rpe ... -d delta -u f|m, not aligned)."""
    return error_statistics(rpe_errors(ref_c2w, est_c2w, delta, unit, pairs_from_reference))
