"""`SfMConfig`: the settings of `wpdata.poses.estimate_poses` and the SfM it runs (`wpdata.poses.sfm`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["SfMConfig"]


@dataclass
class SfMConfig:
    """Settings of `estimate_poses` (defaults: clips of a few seconds at 24-30 fps, 640 px, a CPU)."""

    sample_fps: float | None = 12.0  # sampled frames per second of video (None: max_frames for any length)
    max_frames: int = 120  # cap on the frames sampled evenly across the clip (all frames if fewer)
    frame_step: int | None = None  # sample every k-th frame instead (then sample_fps, max_frames are ignored)
    max_image_size: int = 640  # longer side of the frames given to SIFT (px)
    max_num_features: int = 4096  # SIFT keypoints per frame
    sift_first_octave: int = 0  # -1 upsamples the frames 2x first (more features, ~4x slower)
    matching: str = "sequential"  # "sequential" (overlap below) or "exhaustive" (every pair; revisits match)
    overlap: int = 10  # sequential matching: each frame against the next `overlap` frames
    quadratic_overlap: bool = True  # ... plus frames at quadratic offsets (i + 2^k)
    # match each pair again along the epipolar lines of its first two-view geometry (COLMAP's guided
    # matching): repeated texture (brick, tiles) leaves few matches that pass SIFT's ratio test, so pairs
    # in rooms verify too few inliers and the model falls apart (loop/room: 42% -> 100% registered). Always
    # on, it also bent loops and drone flights in plazas (estK seeds 555 + 99: 13/20 either way), so by
    # default it is the fallback: a clip whose model registers less than `guided_below` of the sampled
    # frames is mapped again with it, and the guided model is kept when it registers at least that share
    guided_matching: bool = False
    guided_below: float = 0.8  # 0: no fallback
    vocab_tree_path: str | None = None  # enables loop detection in sequential matching
    camera_model: str = "SIMPLE_RADIAL"  # COLMAP model of the one shared camera when K is unknown
    focal_from_rotation: bool = True  # K unknown: focal from pure-rotation pairs, held fixed (else BA's)
    focal_two_view: str = "off"  # K unknown, no turn focal: from moving pairs' F, "refine" | "fix" | "off"
    focal_max_drift: float | None = 0.03  # "refine": BA's focal further off -> mapped again with it fixed
    focal_length_factor: float = 0.85  # initial focal / longer side when K is unknown (~60 deg HFOV)
    min_registered_fraction: float = 0.8  # of sampled frames registered or chained; fewer -> error
    max_interp_gap: int = 3  # longest run of sampled frames neither registered nor chained (interpolated)
    piece_scale: str = "speed"  # scale of a model split off by an on-the-spot turn: "speed" | "depth"
    # a walk after a turn on the spot that shares fewer than leg_min_shared 3D points with the frames before
    # it has no scale of its own in the model: "speed" sets it like a piece's, "model" keeps the mapper's
    # (`wpdata.poses.legs`)
    leg_scale: str = "speed"
    leg_min_shared: int = 20
    # frames the main model left out (at least remap_min_frames; 0: never) are mapped again on their own
    # with these initial-pair demands, for one larger piece (`wpdata.poses.remap`)
    remap_min_frames: int = 6
    remap_init_tri_angle: float = 2.0  # deg
    remap_init_inliers: int = 40
    chain_rotations: bool = True  # orient unregistered sampled frames by chaining two-view rotations
    min_sfm_fraction: float = 0.15  # of sampled frames registered by SfM itself; fewer -> error
    init_num_trials: int = (
        20  # mapper attempts to find an initial pair (COLMAP: 200; bounds the time on static clips)
    )
    init_min_tri_angle: float = 8.0  # deg, initial pair (COLMAP 16: a short walk after a turn fails)
    init_min_num_inliers: int = 100  # verified matches the initial pair needs (COLMAP 100)
    tri_min_angle: float = 1.5  # deg; triangulation and point filtering (COLMAP 1.5)
    ba_local_min_tri_angle: float = 6.0  # deg; points local BA uses (COLMAP 6)
    # far points (small triangulation angles) pin the orientations down where the camera turns fast with
    # little parallax: a tight loop in a plaza came out 4-10 deg off with 1.5 / 6, even with the true K,
    # and 0.1 deg off with 0.3 / 1.0; but they can also let bundle adjustment's focal drift (a walk down
    # a street: +15% with 0.3 / 1.0, 0% with 1.5 / 6). So the images are mapped a second time with these
    # (triangulation, local BA) angles, and that run is kept when its mean reprojection error is at least
    # `far_min_gain` lower (None: one run)
    far_tri_angles: tuple[float, float] | None = (0.3, 1.0)
    far_min_gain: float = 0.05
    # "auto": incremental, and GLOMAP too when the incremental model disagrees with the consecutive pairs'
    # two-view rotations; the model that agrees clearly better is kept (`wpdata.poses.auto_mapper`; estK
    # benchmark, 10 clips each, passed against incremental: seeds 1234 4 -> 6, 2027 6 -> 7, held-out 7 8 -> 9);
    # "incremental" (COLMAP) or "global": GLOMAP on the project's two-view rotations (`wpdata.poses.global_sfm`;
    # K unknown: the focal from turns or moving pairs, held fixed; falls back to incremental without a focal)
    mapper: str = "auto"
    # auto: the incremental model is kept when this quantile of its disagreements with the consecutive pairs'
    # rotations is at most auto_max_deg (deg); else GLOMAP's replaces it when that quantile is at least
    # auto_min_gain (a share) lower and it registers as many frames
    auto_quantile: float = 0.9
    auto_max_deg: float = 0.5
    auto_min_gain: float = 0.25
    # auto: an incremental track whose moves disagree with the two-view directions of moving pairs beyond this
    # (deg, at auto_quantile; `wpdata.poses.motion_check`) is mapped by GLOMAP too, and GLOMAP's track replaces
    # it when that quantile is at least auto_min_gain lower (None: never)
    auto_max_dir_deg: float | None = 20.0
    # global mapper: pairs whose two-view rotation is off the chain of consecutive rotations by more than
    # this (deg, + 0.5 per link) are deleted (repeated texture; `wpdata.poses.pair_filter`); None: kept
    pair_check_deg: float | None = 5.0
    # a pair of neighbouring registered views in a turn on the spot whose model rotation is off its two-view
    # rotation by more than this (deg), confirmed by the second-next pairs across it, turns the views after
    # it back (`wpdata.poses.rotation_jumps`; GLOMAP bends out-and-back turns by 1-3 deg); None: never
    jump_repair_deg: float | None = 1.0
    rotation_only_fraction: float = 0.9  # SfM fails, this share of neighbours only turn: rotation-only
    min_features: int = 64  # frames with fewer SIFT keypoints are reported as textureless
    deterministic: bool = True  # one thread everywhere and a fixed seed (same input -> same poses)
    num_threads: int = -1  # threads when not deterministic (-1: all)
    seed: int = 0
    verbose: bool = False  # let COLMAP log its progress

    @classmethod
    def from_dict(cls, d: dict | None) -> SfMConfig:
        """Config from a plain dict (unknown keys -> ValueError)."""
        d = dict(d or {})
        if isinstance(d.get("far_tri_angles"), list):
            d["far_tri_angles"] = tuple(d["far_tri_angles"])
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown SfMConfig key(s) {unknown}; known: {sorted(known)}")
        return cls(**d)

    def to_dict(self) -> dict:
        """Plain dict of the settings."""
        return asdict(self)
