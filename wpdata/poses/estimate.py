"""Camera poses of a clip estimated with pycolmap (incremental SfM on frames sampled from the clip).

Frames are sampled evenly across the clip, about `sample_fps` (12) per second of video up to
`max_frames` (a fixed count would sample an 8 s clip half as densely as a 4 s one), resized so the
longer side is at most `max_image_size`, written as PNG into a work folder and reconstructed (`wpdata.poses.sfm`;
by default incremental mapping, replaced by GLOMAP's model where that agrees clearly better with the
consecutive pairs' two-view rotations, `wpdata.poses.auto_mapper`; a model registering less than
`guided_below` of the frames is mapped again with guided matching (then, with no focal given or
measured from turns, guided with a two-view focal) and replaced where that repairs it;
settings in `wpdata.poses.sfm_config`). A model bent between two neighbouring views is turned back by
the two-view rotations (`wpdata.poses.rotation_jumps`). Sampled frames the largest
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
from typing import NamedTuple

import cv2
import numpy as np

from wpdata.geometry import scale_K
from wpdata.video import VideoError, iter_frames, probe, probe_image_sequence

from .colmap_db import read_pair_matches
from .model_track import PoseEstimationError, track_from_model
from .motion_check import DirectionAgreement, direction_agreement
from .sfm import SfMResult, run_sfm
from .sfm_config import SfMConfig
from .track import PoseTrack
from .two_view import Motion, Pair, pair_motions

__all__ = ["PoseEstimationError", "SfMConfig", "estimate_poses", "sample_frames"]


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


class _Attempt(NamedTuple):
    """One reconstruction turned into a track (`_attempt`)."""

    res: SfMResult
    c2w: np.ndarray  # [T, 4, 4]
    registered: np.ndarray  # [T] bool
    chained: np.ndarray  # [T] bool
    motions: dict[Pair, Motion]  # two-view motions of sampled pairs, offsets 1 and 2 ({}: no K)
    jumps: int  # rotation jumps repaired (`wpdata.poses.rotation_jumps`)


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
) -> _Attempt:
    """One reconstruction in ``wd`` of the sampled frames in ``image_dir`` made a track (`track_from_model`);
    raises PoseEstimationError. reuse_db: ``wd`` holds a copy of another attempt's database (features and
    matches)."""
    pw, ph = size
    res = run_sfm(image_dir, names, wd, config, K_proc, reuse_db=reuse_db)
    if K_proc is None and not res.c2w and res.focal_rotation is not None:  # no model: K from the turns
        res.K = np.array([[res.focal_rotation, 0, pw / 2], [0, res.focal_rotation, ph / 2], [0, 0, 1.0]])
    K_rel = K_proc if given_K else (res.K if res.c2w or res.focal_rotation is not None else None)
    motions = (
        pair_motions(read_pair_matches(wd / "database.db", names, 2), K_rel) if K_rel is not None else {}
    )
    use = motions if config.chain_rotations and K_rel is not None else None
    c2w, registered, chained, jumps = track_from_model(res, sampled, names, T, config, video, use)
    return _Attempt(res, c2w, registered, chained, motions, jumps)


def _direction_rival(
    first: _Attempt, wd: Path, config: SfMConfig, args: tuple
) -> tuple[_Attempt, DirectionAgreement | None]:
    """The kept attempt (``first``, mapped in ``wd`` with ``config``) and its direction agreement
    (`wpdata.poses.motion_check`), or GLOMAP's attempt on a copy of its database when the "auto" mapper kept
    an incremental track whose moves disagree beyond `SfMConfig.auto_max_dir_deg` and GLOMAP's agree at
    least `auto_min_gain` (a share) better. Rotation-only tracks are not judged (nothing moves)."""
    if not first.registered.any() or not (db := wd / "database.db").is_file():
        return first, None
    sampled = args[1]  # _attempt's arguments
    moves = direction_agreement(first.c2w[sampled], first.motions, config.auto_quantile)
    if (
        config.mapper != "auto"
        or first.res.mapper != "incremental"
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
    rival_moves = direction_agreement(rival.c2w[sampled], first.motions, config.auto_quantile)
    if rival.res.mapper == "global" and rival_moves.high_deg <= (1.0 - config.auto_min_gain) * moves.high_deg:
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
        first, error = None, None  # the kept model's _Attempt
        kept = (wd, config)  # where and with what settings the kept model was mapped
        try:
            first = _attempt(wd, config, *args)
        except PoseEstimationError as e:
            error = e
        registered = first.registered if first else None
        turn_focal = first is not None and first.res.focal_rotation is not None
        weak = _guided_fallback(config, registered, len(names))
        for name, fallback in _fallbacks(config, K is not None or turn_focal) if weak else ():
            try:
                tried = _attempt(wd / name, fallback, *args)
            except PoseEstimationError:
                tried = None
            if tried is not None and _guided_repairs(config, tried.registered, registered, len(names)):
                first, kept = tried, (wd / name, fallback)
                break
        if first is None:
            raise error
        first, moves = _direction_rival(first, *kept, args)
    res, c2w, registered, chained = first[:4]
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
        repaired_jumps=first.jumps,
        dir_agreement_deg=moves.median_deg if moves else None,
        dir_agreement_high_deg=moves.high_deg if moves else None,
    )
