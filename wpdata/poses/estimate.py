"""Camera poses of a clip estimated with pycolmap (incremental SfM on frames sampled from the clip).

Frames are sampled evenly across the clip, about `sample_fps` (12) per second of video up to
`max_frames` (a fixed count would sample an 8 s clip half as densely as a 4 s one), resized so the
longer side is at most `max_image_size`, written as PNG into a work folder and reconstructed (`wpdata.poses.sfm`;
by default incremental mapping, replaced by GLOMAP's model where that agrees clearly better with the
consecutive pairs' two-view rotations, `wpdata.poses.auto_mapper`; a model registering less than
`guided_below` of the frames is mapped again with guided matching (then, with no focal given or
measured from turns, guided with a two-view focal) and replaced where that repairs it;
settings in `wpdata.poses.sfm_config`). Sampled frames the largest
model did not register are interpolated when few (count and longest run are both bounded), else
`PoseEstimationError` says why; then every clip frame gets a pose by interpolation between sampled
frames (`registered` marks the sampled frames that were reconstructed).

With K unknown, the focal comes from pairs of views that only turned (`wpdata.poses.focal`) and is
held fixed in mapping when there are enough of them; else COLMAP calibrates it from its initial guess
(opt-in `focal_two_view`: it starts from the fundamental matrices of pairs that moved,
`wpdata.poses.focal_twoview`; within 1.4% on 40 synthetic clips, yet no more clips passed on unseen
seeds and fewer on 8 s clips). A camera that only turns (SfM finds too little parallax, yet the neighbouring views fit pure rotations and it turns)
gets a rotation-only track: orientations chained from pair rotations, one position, nothing
registered and no median depth.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from wpdata.geometry import scale_K
from wpdata.video import VideoError, iter_frames, probe, probe_image_sequence

from .colmap_db import read_pair_matches
from .focal import MIN_PAIRS
from .interpolate import interpolate_poses, max_gap
from .motion_check import DirectionAgreement, direction_agreement, pair_directions
from .pieces import place_pieces
from .rotations import chain_rotations, registered_groups, relative_rotation
from .sfm import SfMResult, run_sfm
from .sfm_config import SfMConfig
from .track import PoseTrack

__all__ = ["PoseEstimationError", "SfMConfig", "estimate_poses", "sample_frames"]


class PoseEstimationError(ValueError):
    """Poses could not be estimated for a clip; the message gives the reason."""


def sample_frames(num_frames: int, config: SfMConfig, fps: float | None = None) -> np.ndarray:
    """Clip frame indices [S] to reconstruct: evenly spaced, first and last frame included.

    By time: round(num_frames / fps * config.sample_fps) frames (at least 2, at most config.max_frames),
    so a long clip is not sampled more sparsely than a short one; without fps or sample_fps,
    config.max_frames frames.
    """
    if num_frames < 1:
        raise ValueError(f"clip has no frames ({num_frames})")
    if config.frame_step:
        idx = np.arange(0, num_frames, int(config.frame_step))
        return idx if idx[-1] == num_frames - 1 else np.append(idx, num_frames - 1)
    n = int(config.max_frames)
    if config.sample_fps and fps and fps > 0:
        n = min(n, int(round(num_frames / fps * float(config.sample_fps))))
    n = min(num_frames, max(n, 2))
    return np.unique(np.linspace(0, num_frames - 1, n).round().astype(np.int64))


def _proc_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    s = min(1.0, max_side / max(width, height))
    return max(int(round(width * s)), 16), max(int(round(height * s)), 16)


def _write_frames(video: Path, sampled: np.ndarray, size: tuple[int, int], out: Path) -> list[str]:
    """Decode the sampled frames at `size` (w, h) and write them as PNG; returns their file names."""
    out.mkdir(parents=True, exist_ok=True)
    want, names = set(sampled.tolist()), []
    for i, frame in enumerate(iter_frames(video, 0, int(sampled[-1]) + 1, size=size, threads=1)):
        if i in want:
            name = f"{i:06d}.png"
            if not cv2.imwrite(str(out / name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
                raise OSError(f"could not write frame image {out / name}")
            names.append(name)
    return names


def _failure_reason(res: SfMResult, names: list[str], config: SfMConfig) -> str:
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


def _pair_rotations(db: Path, names: list[str], K: np.ndarray) -> list[np.ndarray | None]:
    """R_{i, i+1} [3, 3] (rays of sampled frame i+1 in frame i) for consecutive sampled frames, or None."""
    pairs = read_pair_matches(db, names, max_offset=1)
    return [
        relative_rotation(*pairs[(i, i + 1)], K) if (i, i + 1) in pairs else None
        for i in range(len(names) - 1)
    ]


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


def _from_result(
    res: SfMResult,
    sampled: np.ndarray,
    names: list[str],
    T: int,
    config: SfMConfig,
    video: Path,
    rel: list[np.ndarray | None] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(c2w [T, 4, 4] for every frame, registered [T], chained [T]) or PoseEstimationError.

    rel: pair rotations of consecutive sampled frames (`_pair_rotations`) or None (no chaining).
    """
    reg = np.array([k in res.c2w for k in names])  # [S]
    pieces = res.pieces
    if rel is not None and reg.sum() >= 2:
        R_model = np.stack([res.c2w[k][:3, :3] if k in res.c2w else np.eye(3) for k in names])  # [S, 3, 3]
        reg, split = _split_groups(res, names, registered_groups(reg, R_model, rel))
        pieces = split + pieces
    if (reg.sum() < 2 or reg.mean() < config.min_sfm_fraction) and (
        out := _rotation_only(res, sampled, T, config, rel)
    ) is not None:
        return out
    if not res.c2w:
        raise PoseEstimationError(f"{video}: {_failure_reason(res, names, config)}")
    if reg.sum() < 2 or reg.mean() < config.min_sfm_fraction:
        raise PoseEstimationError(f"{video}: {_failure_reason(res, names, config)} ({reg.mean():.0%} < "
                                  f"{config.min_sfm_fraction:.0%} needed)")  # fmt: skip
    c2w_s = np.stack([res.c2w[k] for k, r in zip(names, reg, strict=True) if r])  # [R, 4, 4]
    pos = np.arange(len(names))  # sampled positions as indices
    c2w_all = interpolate_poses(pos[reg], c2w_s, len(names))  # [S, 4, 4]
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
            f"{video}: {_failure_reason(res, names, config)}, {int(chained.sum())} more chained ({frac:.0%} < "
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
    return interpolate_poses(sampled[known], c2w_all[known], T), registered, chained_t


def _guided_fallback(config: SfMConfig, registered: np.ndarray | None, n: int) -> bool:
    """Whether to map again with guided matching: the first try failed (``registered`` None), or its model
    registered less than `guided_below` of the n sampled frames (a camera that only turned, rotation-only,
    is not retried)."""
    if config.guided_matching or config.guided_below <= 0:
        return False
    if registered is None:
        return True
    return bool(registered.any()) and registered.sum() < config.guided_below * n


def _fallbacks(config: SfMConfig, focal_known: bool) -> list[tuple[str, SfMConfig]]:
    """(work folder, settings) of the mappings tried in turn while the first model stays weak: guided
    matching; then, when the focal is neither given nor measured from turns (``focal_known`` False), guided
    matching with the focal from the moving pairs' fundamental matrices (`focal_two_view` "refine"). A
    clip whose self-calibration failed maps with a focal 26% off (estK seed 4242, loop/plaza: 23%
    registered, rotation error 32 deg; with the two-view focal 100%, 0.07 deg); tried first, that focal
    broke a room loop that guided matching alone repairs (seed 555: 100% -> 42% registered)."""
    guided = replace(config, guided_matching=True)
    out = [("guided", guided)]
    if not focal_known and config.focal_two_view == "off":
        out.append(("guided_two_view", replace(guided, focal_two_view="refine")))
    return out


def _guided_repairs(config: SfMConfig, guided: np.ndarray, registered: np.ndarray | None, n: int) -> bool:
    """Whether the guided model (its registered clip frames [T] bool) replaces the first one (None: failed):
    only a repair, at least `guided_below` of the n sampled frames registered and more than before; a
    guided model that is merely larger was bent (estK seed 7, out_and_back/street: 56% registered, ATE
    0.2% -> 16%)."""
    enough = guided.sum() >= config.guided_below * n
    return bool(enough and (registered is None or guided.sum() > registered.sum()))


def _attempt(
    wd: Path,
    config: SfMConfig,
    image_dir: Path,
    sampled: np.ndarray,
    names: list[str],
    T: int,
    video: Path,
    size: tuple[int, int],
    given_K: bool,
    K_proc: np.ndarray | None,
    reuse_db: bool = False,
) -> tuple[SfMResult, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One reconstruction in ``wd`` of the sampled frames in ``image_dir``: the SfM result and
    ``_from_result``'s (c2w, registered, chained); raises PoseEstimationError. reuse_db: ``wd`` holds a
    copy of another attempt's database (features and matches)."""
    pw, ph = size
    res = run_sfm(image_dir, names, wd, config, K_proc, reuse_db=reuse_db)
    if K_proc is None and not res.c2w and res.focal_rotation is not None:  # no model: K from the turns
        res.K = np.array([[res.focal_rotation, 0, pw / 2], [0, res.focal_rotation, ph / 2], [0, 0, 1.0]])
    K_rel = K_proc if given_K else (res.K if res.c2w or res.focal_rotation is not None else None)
    use = config.chain_rotations and K_rel is not None
    rel = _pair_rotations(wd / "database.db", names, K_rel) if use else None
    return res, _from_result(res, sampled, names, T, config, video, rel)


def _direction_rival(
    first: tuple[SfMResult, tuple[np.ndarray, np.ndarray, np.ndarray]],
    wd: Path,
    config: SfMConfig,
    args: tuple,
    K_proc: np.ndarray | None,
) -> tuple[tuple[SfMResult, tuple[np.ndarray, np.ndarray, np.ndarray]], DirectionAgreement | None]:
    """The kept attempt (``first``, mapped in ``wd`` with ``config``) and its direction agreement
    (`wpdata.poses.motion_check`), or GLOMAP's attempt on a copy of its database when the "auto" mapper kept
    an incremental track whose moves disagree beyond `SfMConfig.auto_max_dir_deg` and GLOMAP's agree at
    least `auto_min_gain` (a share) better. Rotation-only tracks are not judged (nothing moves)."""
    res, (c2w, registered, _) = first
    if not registered.any() or not (db := wd / "database.db").is_file():
        return first, None
    sampled, names = args[1], args[2]  # _attempt's arguments
    dirs = pair_directions(
        read_pair_matches(db, names, max_offset=2), K_proc if K_proc is not None else res.K
    )
    moves = direction_agreement(c2w[sampled], dirs, config.auto_quantile)
    if (
        config.mapper != "auto"
        or res.mapper != "incremental"
        or config.auto_max_dir_deg is None
        or not moves.high_deg > config.auto_max_dir_deg
    ):
        return first, moves
    rival_wd = wd / "global_rival"
    rival_wd.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db, rival_wd / "database.db")
    try:
        rival = _attempt(rival_wd, replace(config, mapper="global"), *args, reuse_db=True)
    except PoseEstimationError:
        return first, moves
    rival_moves = direction_agreement(rival[1][0][sampled], dirs, config.auto_quantile)
    if rival[0].mapper == "global" and rival_moves.high_deg <= (1.0 - config.auto_min_gain) * moves.high_deg:
        return rival, rival_moves
    return first, moves


def estimate_poses(
    video_path: str | os.PathLike,
    config: SfMConfig | None = None,
    K: np.ndarray | None = None,
    work_dir: str | os.PathLike | None = None,
) -> PoseTrack:
    """Estimate a PoseTrack for every frame of a video (or image folder) with pycolmap.

    K: pixel intrinsics [3, 3] at the video's size, held fixed; None -> estimated (one shared camera).
    work_dir: where frames, database and models go (kept); None -> a temporary folder (removed).
    Raises PoseEstimationError (a ValueError) with the reason when the clip cannot be reconstructed.
    """
    config = config or SfMConfig()
    video = Path(video_path)
    try:
        info = probe_image_sequence(video, fps=30.0) if video.is_dir() else probe(video)
    except VideoError as e:
        raise PoseEstimationError(str(e)) from None
    T, W, H = int(info.num_frames), int(info.width), int(info.height)
    if T < 2:
        raise PoseEstimationError(f"{video}: {T} frame(s); need at least 2 to estimate poses")
    sampled = sample_frames(T, config, float(info.fps) if info.fps else None)  # [S]
    pw, ph = _proc_size(W, H, config.max_image_size)
    K_proc = None
    if K is not None:
        K = np.asarray(K, dtype=np.float64)
        if K.shape != (3, 3) or not np.isfinite(K).all():
            raise ValueError(f"{video}: K must be a finite [3, 3] matrix, got shape {K.shape}")
        K_proc = scale_K(K, pw / W, ph / H)
    with tempfile.TemporaryDirectory(prefix="wp_sfm_") as tmp:
        wd = Path(work_dir) if work_dir is not None else Path(tmp)
        try:
            names = _write_frames(video, sampled, (pw, ph), wd / "images")
        except VideoError as e:
            raise PoseEstimationError(str(e)) from None
        if len(names) != len(sampled):
            raise PoseEstimationError(f"{video}: decoded {len(names)} of {len(sampled)} sampled frames")
        args = (wd / "images", sampled, names, T, video, (pw, ph), K is not None, K_proc)
        first, error = None, None  # (SfM result, (c2w, registered, chained)) of the kept model
        kept = (wd, config)  # where and with what settings the kept model was mapped
        try:
            first = _attempt(wd, config, *args)
        except PoseEstimationError as e:
            error = e
        registered = first[1][1] if first else None
        turn_focal = first is not None and first[0].focal_rotation is not None
        weak = _guided_fallback(config, registered, len(names))
        for name, fallback in _fallbacks(config, K is not None or turn_focal) if weak else ():
            try:
                tried = _attempt(wd / name, fallback, *args)
            except PoseEstimationError:
                tried = None
            if tried is not None and _guided_repairs(config, tried[1][1], registered, len(names)):
                first, kept = tried, (wd / name, fallback)
                break
        if first is None:
            raise error
        first, moves = _direction_rival(first, *kept, args, K_proc)
    res, (c2w, registered, chained) = first
    K_full = K if K is not None else scale_K(res.K, W / pw, H / ph)  # [3, 3]
    rotation_only = not registered.any()
    agree = res.agreement.get(res.mapper)
    return PoseTrack(
        c2w=c2w,
        K=np.broadcast_to(K_full, (T, 3, 3)).copy(),
        width=W,
        height=H,
        source="colmap",
        registered=registered,
        registered_fraction=int(registered.sum()) / len(names),
        chained_fraction=int(chained.sum()) / len(names),
        reproj_error=res.reproj_error,
        track_length=res.track_length,
        median_depth=None if rotation_only else res.median_depth,  # no translation: nothing to scale
        mapper=res.mapper,
        rot_agreement_deg=agree.median_deg if agree else None,
        rot_agreement_high_deg=agree.high_deg if agree else None,
        rescaled_legs=res.rescaled_legs,
        dir_agreement_deg=moves.median_deg if moves else None,
        dir_agreement_high_deg=moves.high_deg if moves else None,
    )
