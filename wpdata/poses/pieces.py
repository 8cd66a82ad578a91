"""Frames that SfM reconstructed in a smaller, separate model ("piece"), placed next to the main model.

A turn on the spot splits incremental SfM into pieces: nothing can be triangulated while the camera only
turns, so the walk after the turn starts a new model with its own rotation, origin and scale. The
piece's orientation is fixed by the rotations chained through the turn (`wpdata.poses.rotations`): the
best rotation between the piece's model orientations and the chained ones (scipy `Rotation.mean`).
Its scale is unobservable from the images when the views joining it to the main model only rotate
(every view of the join shares one centre), so a prior fixes it. Rule "speed" (default): the camera
moves at the same typical speed before and after the turn (the 75th percentile of the step between
consecutive sampled frames in each model, which skips the standing steps of the turn); a person walks
on at the pace they came. Rule "depth": the median depth of the piece's 3D points equals the main
model's (the same kind of scene seen a moment later); on the synthetic out-and-back street clip it
left 6.9% ATE against 0.3% for "speed", since the view back down a street is not as deep as the view
out. Both are assumptions; a clip that changes pace or scene depth at the turn breaks them. Its origin is the nearest frame's
position on the main track (an in-place rotation joins the two). Pieces are reported as chained
frames, never as registered ones, since their placement rests on these assumptions.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from .rotations import consistent_registered

__all__ = ["place_pieces"]

MIN_PIECE = 3  # frames; smaller pieces are left to interpolation


def typical_step(pos: np.ndarray, pairs: np.ndarray) -> float:
    """75th percentile of the distances between consecutive sampled frames i, i+1 where ``pairs[i]``.

    pos [S, 3], pairs [S-1] bool; 0.0 with fewer than 2 such steps. The upper quantile skips the steps of
    the turn itself, where the camera stands still.
    """
    pairs = np.asarray(pairs, dtype=bool)
    if pairs.sum() < 2:
        return 0.0
    return float(np.percentile(np.linalg.norm(np.diff(pos, axis=0), axis=1)[pairs], 75))


def place_pieces(
    c2w: np.ndarray,
    known_rot: np.ndarray,
    known_pos: np.ndarray,
    names: list[str],
    pieces: list[tuple[dict[str, np.ndarray], float] | tuple[dict[str, np.ndarray], float, float]],
    main_depth: float,
    rel: list[np.ndarray | None],
    scale_rule: str = "depth",
) -> tuple[np.ndarray, np.ndarray]:
    """Positions from the pieces: (c2w [S, 4, 4] with piece positions set, placed [S] bool).

    c2w: [S, 4, 4] sampled-frame poses in the main model; known_rot [S]: frames with a trusted rotation
    (registered or chained); known_pos [S]: frames with a measured position (registered).
    scale_rule: "depth" (equal median point depth) or "speed" (equal typical step length; see module doc).
    pieces: (poses by name, median point depth) of each model, or (poses, depth, scale) when its scale
    relative to the main model is known (a group split off the main model itself: 1).
    """
    if scale_rule not in ("depth", "speed"):
        raise ValueError(f"unknown piece scale rule {scale_rule!r}; known: depth, speed")
    out = np.asarray(c2w, dtype=np.float64).copy()  # [S, 4, 4]
    placed = np.zeros(len(names), dtype=bool)  # [S]
    if not (np.isfinite(main_depth) and main_depth > 0):
        return out, placed
    for piece in pieces:
        poses, depth = piece[0], piece[1]
        known_scale = piece[2] if len(piece) > 2 else None
        mask = np.array([k in poses for k in names]) & known_rot & ~known_pos & ~placed  # [S]
        if mask.sum() < MIN_PIECE or not (np.isfinite(depth) and depth > 0):
            continue
        P = np.stack([poses[k] if k in poses else np.eye(4) for k in names])  # [S, 4, 4]
        mask = consistent_registered(mask, P[:, :3, :3], rel)
        idx = np.flatnonzero(mask)
        if len(idx) < MIN_PIECE:
            continue
        R_align = (
            Rotation.from_matrix(out[idx, :3, :3] @ np.swapaxes(P[idx, :3, :3], 1, 2)).mean().as_matrix()
        )
        anchors = np.flatnonzero(known_pos | placed)
        if len(anchors) == 0:
            continue
        # the piece frame closest (in sampled index) to a frame whose position is known
        dist = np.abs(idx[:, None] - anchors[None, :])  # [n, A]
        p0, a0 = np.unravel_index(dist.argmin(), dist.shape)
        origin = out[anchors[a0], :3, 3]  # [3]
        s = main_depth / depth
        if known_scale is not None:
            s = float(known_scale)
        elif scale_rule == "speed":
            v_main = typical_step(out[:, :3, 3], known_pos[:-1] & known_pos[1:])
            v_piece = typical_step(P[:, :3, 3], mask[:-1] & mask[1:])
            if v_main > 0 and v_piece > 0:
                s = v_main / v_piece
        rel_c = P[idx, :3, 3] - P[idx[p0], :3, 3]  # [n, 3]
        out[idx, :3, 3] = origin + s * rel_c @ R_align.T
        out[idx, :3, :3] = R_align @ P[idx, :3, :3]  # the piece's own (bundle-adjusted) relative rotations
        placed[idx] = True
    return out, placed
