"""An SfM model of a clip's sampled frames made a pose track for every clip frame (`track_from_model`).

The largest group of registered views that agrees with the consecutive pairs' two-view rotations is the
model (the other groups, and the smaller models, are placed as pieces, `wpdata.poses.pieces`); a bend
between two neighbours is turned back (`wpdata.poses.rotation_jumps`); unregistered sampled frames are
oriented by chaining two-view rotations and positioned by interpolation when few, else
`PoseEstimationError` says why; a camera that only turns gets a rotation-only track. Then every clip frame
gets a pose by interpolation between sampled frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .focal import MIN_PAIRS
from .interpolate import interpolate_poses, max_gap
from .pieces import place_pieces
from .rotation_jumps import repair_jumps
from .rotations import chain_rotations, registered_groups
from .sfm import SfMResult
from .sfm_config import SfMConfig
from .two_view import Motion, Pair

__all__ = ["PoseEstimationError", "failure_reason", "track_from_model"]


class PoseEstimationError(ValueError):
    """Poses could not be estimated for a clip; the message gives the reason."""


def failure_reason(res: SfMResult, names: list[str], config: SfMConfig) -> str:
    """Why a model of the sampled frames `names` is not enough: what it registered, textureless frames."""
    n = len(names)
    poor = [k for k in names if res.num_features.get(k, 0) < config.min_features]
    text = f"{len(poor)} of {n} sampled frames have < {config.min_features} SIFT features (textureless?)"
    if not res.c2w:
        why = (
            text
            if len(poor) > n // 2
            else "no initial image pair (too little parallax: static or rotating camera?)"
        )
        return f"no reconstruction from {n} sampled frames: {why}"
    return f"registered {len(res.c2w)} of {n} sampled frames" + (f"; {text}" if poor else "")


def _consecutive(motions: dict[Pair, Motion], S: int) -> list[np.ndarray | None]:
    """R_{i, i+1} [3, 3] (rays of sampled frame i+1 in frame i) for consecutive sampled frames, or None."""
    return [motions[(i, i + 1)][0] if (i, i + 1) in motions else None for i in range(S - 1)]


def _rotation_only(
    res: SfMResult, sampled: np.ndarray, T: int, config: SfMConfig, rel: list[np.ndarray | None] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A camera that only turns (SfM finds no parallax): orientations chained from the first sampled frame,
    one position; (c2w [T, 4, 4], registered [T], chained [T]) or None when the clip does not qualify."""
    if (
        rel is None
        or any(r is None for r in rel)
        or res.pure_rotation_fraction < config.rotation_only_fraction
    ):
        return None
    if res.turning_pairs < MIN_PAIRS:  # a camera that stands still is refused, not "rotation-only"
        return None
    S = len(sampled)
    known = np.zeros(S, dtype=bool)
    known[0] = True
    R, chained = chain_rotations(known, np.broadcast_to(np.eye(3), (S, 3, 3)), rel)  # [S, 3, 3]
    c2w_s = np.broadcast_to(np.eye(4), (S, 4, 4)).copy()  # [S, 4, 4]
    c2w_s[:, :3, :3] = R
    chained_t = np.zeros(T, dtype=bool)
    chained_t[sampled] = True
    return interpolate_poses(sampled, c2w_s, T), np.zeros(T, dtype=bool), chained_t


def _split_groups(
    res: SfMResult, names: list[str], labels: np.ndarray
) -> tuple[np.ndarray, list[tuple[dict[str, np.ndarray], float, float]]]:
    """(registered [S]: the largest group of `registered_groups` labels [S], the other groups as pieces).

    The other groups' rotations jump against the pair rotations where they join the largest group (a
    turn the mapper bent), but each agrees with them inside itself, so it is placed like a separate
    model (`place_pieces`): re-oriented by the chained rotations, at the main model's scale (one bundle
    adjustment measured both)."""
    sizes = np.bincount(labels[labels >= 0])
    keep = int(sizes.argmax())
    groups = [np.flatnonzero(labels == g) for g in range(len(sizes)) if g != keep]
    pieces = [({names[i]: res.c2w[names[i]] for i in idx}, res.median_depth, 1.0) for idx in groups]
    return labels == keep, pieces


def track_from_model(
    res: SfMResult,
    sampled: np.ndarray,
    names: list[str],
    T: int,
    config: SfMConfig,
    video: Path,
    motions: dict[Pair, Motion] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(c2w [T, 4, 4] for every frame, registered [T], chained [T], rotation jumps repaired) or
    PoseEstimationError.

    motions: two-view motions of sampled pairs (`wpdata.poses.two_view.pair_motions`, offsets 1 and 2) or
    None (no chaining, no jump repair).
    """
    rel = _consecutive(motions, len(names)) if motions is not None else None
    reg = np.array([k in res.c2w for k in names])  # [S]
    pieces = res.pieces
    if rel is not None and reg.sum() >= 2:
        R_model = np.stack([res.c2w[k][:3, :3] if k in res.c2w else np.eye(3) for k in names])  # [S, 3, 3]
        reg, split = _split_groups(res, names, registered_groups(reg, R_model, rel))
        pieces = split + pieces
    if (reg.sum() < 2 or reg.mean() < config.min_sfm_fraction) and (
        out := _rotation_only(res, sampled, T, config, rel)
    ) is not None:
        return (*out, 0)
    if not res.c2w:
        raise PoseEstimationError(f"{video}: {failure_reason(res, names, config)}")
    if reg.sum() < 2 or reg.mean() < config.min_sfm_fraction:
        raise PoseEstimationError(f"{video}: {failure_reason(res, names, config)} ({reg.mean():.0%} < "
                                  f"{config.min_sfm_fraction:.0%} needed)")  # fmt: skip
    c2w_s = np.stack([res.c2w[k] for k, r in zip(names, reg, strict=True) if r])  # [R, 4, 4]
    pos = np.arange(len(names))  # sampled positions as indices
    c2w_all = interpolate_poses(pos[reg], c2w_s, len(names))  # [S, 4, 4]
    jumps = []
    if motions is not None and config.jump_repair_deg is not None:
        c2w_all, jumps = repair_jumps(c2w_all, reg, motions, config.jump_repair_deg)
    chained = np.zeros(len(names), dtype=bool)  # [S]
    if rel is not None and not reg.all():
        R, chained = chain_rotations(reg, c2w_all[:, :3, :3], rel)  # [S, 3, 3], [S]
        c2w_all[chained, :3, :3] = R[chained]
        c2w_all, placed = place_pieces(c2w_all, reg | chained, reg, names, pieces, res.median_depth, rel,
                                       config.piece_scale)  # fmt: skip
        have = reg | placed  # frames with a position; the others are interpolated between them
        for a in range(3):
            c2w_all[:, a, 3] = np.interp(pos, pos[have], c2w_all[have, a, 3])
    known = reg | chained
    frac = float(known.mean())
    if frac < config.min_registered_fraction:
        raise PoseEstimationError(
            f"{video}: {failure_reason(res, names, config)}, {int(chained.sum())} more chained ({frac:.0%} < "
            f"{config.min_registered_fraction:.0%} needed)"
        )
    if (gap := max_gap(known)) > config.max_interp_gap:
        raise PoseEstimationError(
            f"{video}: registered {int(reg.sum())} (+{int(chained.sum())} chained) of {len(names)} sampled "
            f"frames but {gap} in a row are missing (> {config.max_interp_gap} may be interpolated)"
        )
    registered = np.zeros(T, dtype=bool)
    registered[sampled[reg]] = True
    chained_t = np.zeros(T, dtype=bool)
    chained_t[sampled[chained]] = True
    return interpolate_poses(sampled[known], c2w_all[known], T), registered, chained_t, len(jumps)
