"""Incremental structure-from-motion on an image folder with pycolmap (4.x API): SIFT extraction on the
CPU, sequential matching, incremental mapping; the largest model is returned in the project convention.
With K unknown, a focal measured from pure-rotation pairs (`wpdata.poses.focal`) replaces COLMAP's
initial guess and is held fixed (bundle adjustment's self-calibration drifts without parallax). Without
such pairs, opt-in (`SfMConfig.focal_two_view`), the focal from the fundamental matrices of moving pairs (`wpdata.poses.focal_twoview`)
replaces it, the matches are verified again with it (essential matrices, as with a known K), and bundle
adjustment refines it; when it drifts more than `SfMConfig.focal_max_drift` off, the images are mapped
again with it held fixed (BA settled 3-26% off on synthetic loops and walks from COLMAP's guess).
The images are mapped twice, with COLMAP's and with small minimum triangulation angles; the second
run is kept when its mean reprojection error is clearly lower (why: `SfMConfig.far_tri_angles`).
With `SfMConfig.mapper` "global" (opt-in), GLOMAP maps the images instead, on the project's two-view
rotations with inconsistent pairs deleted (`wpdata.poses.global_sfm`), the focal from turns or moving pairs.
With "auto" (the default), the incremental model is checked against the consecutive pairs' two-view
rotations and GLOMAP maps the images too when it disagrees; the model that agrees clearly better is kept
(`wpdata.poses.auto_mapper`).
Every result records the mapper that built it and its agreement with those rotations.

Deterministic when run single-threaded with a fixed seed (`SfMConfig.deterministic`): COLMAP's RANSAC
and mapper draw from `pycolmap.set_random_seed` / `random_seed`, and one thread fixes the order of work.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pycolmap

from wpdata.geometry import invert_se3

from .auto_mapper import Agreement, agreement, consecutive_rotations, prefer
from .colmap_db import agreement_K, db_rotation_pairs, initial_focal, read_pair_matches, set_focal
from .focal import focal_from_rotations
from .global_sfm import global_options, write_pair_rotations
from .legs import rescale_legs
from .remap import remap_left_out

if TYPE_CHECKING:
    from .sfm_config import SfMConfig


MIN_REG_SHARE = 0.95  # the far-point run must register at least this share of the first run's images
MAPPERS = ("incremental", "global", "auto")


@dataclass
class SfMResult:
    """The largest reconstructed model: poses of the registered images (by name) and its quality."""

    c2w: dict[str, np.ndarray]  # name -> [4, 4] float64 OpenCV c2w
    K: np.ndarray  # [3, 3] float64 pixel intrinsics at the processed image size
    reproj_error: float  # px, mean over observations
    track_length: float  # mean observations per 3D point
    median_depth: float  # median camera-space depth of the points over their observations
    num_points: int
    num_features: dict[str, int]  # name -> SIFT keypoints found
    num_models: int
    pieces: list[tuple[dict[str, np.ndarray], float]] = field(
        default_factory=list
    )  # other models: (c2w, depth)
    focal_rotation: float | None = None  # px; focal from pure-rotation pairs, held fixed in mapping
    pure_rotation_fraction: float = 0.0  # consecutive image pairs whose matches fit a pure rotation
    turning_pairs: int = 0  # pure-rotation pairs that turned >= focal.MIN_ANGLE_DEG
    focal_two_view: float | None = None  # px; focal from the fundamental matrices of moving pairs
    two_view_pairs: int = 0  # pairs that gave a two-view focal
    focal_held: bool = False  # the two-view focal was held fixed (focal_two_view "fix", or BA drifted off it)
    dropped_pairs: int = 0  # global mapper: verified pairs deleted (rotation off their neighbours' chain)
    mapper: str = "incremental"  # the mapper that built the model ("incremental" | "global")
    # per mapped candidate: agreement with the consecutive two-view rotations (K: given, GLOMAP's, else model's)
    agreement: dict[str, Agreement] = field(default_factory=dict)
    rescaled_legs: int = 0  # walks after a turn on the spot put at the scale before it (`wpdata.poses.legs`)


@contextlib.contextmanager
def _quiet_colmap(verbose: bool) -> Iterator[None]:
    """Silence COLMAP's glog INFO lines for the duration (restored afterwards)."""
    old = pycolmap.logging.minloglevel
    if not verbose:
        pycolmap.logging.minloglevel = 2  # ERROR and above
    try:
        yield
    finally:
        pycolmap.logging.minloglevel = old


def _median_depth(rec: pycolmap.Reconstruction) -> float:
    """Median depth of every observed 3D point in the camera observing it."""
    depths = []
    for im in rec.images.values():
        ids = [p.point3D_id for p in im.points2D if p.has_point3D()]
        if not ids:
            continue
        xyz = np.array([rec.points3D[i].xyz for i in ids])  # [M, 3]
        w2c = im.cam_from_world().matrix()  # [3, 4]
        depths.append(xyz @ w2c[:, :3].T[:, 2] + w2c[2, 3])
    return float(np.median(np.concatenate(depths))) if depths else float("nan")


def _poses(rec: pycolmap.Reconstruction | None) -> dict[str, np.ndarray]:
    """Image name -> c2w [4, 4] of the registered images of a model (none without a model)."""
    c2w = {}
    for im in rec.images.values() if rec is not None else ():
        if im.has_pose:
            w2c = np.eye(4)
            w2c[:3] = im.cam_from_world().matrix()
            c2w[im.name] = invert_se3(w2c)
    return c2w


def _tracks(rec: pycolmap.Reconstruction, names: list[str]) -> list[list[int]]:
    """Per 3D point of the model, the indices in `names` of the images observing it."""
    at = {n: i for i, n in enumerate(names)}
    index = {im.image_id: at[im.name] for im in rec.images.values() if im.name in at}
    return [
        [index[el.image_id] for el in p.track.elements if el.image_id in index] for p in rec.points3D.values()
    ]


def _threads(config: SfMConfig) -> int:
    """COLMAP threads: one when the run must be deterministic."""
    return 1 if config.deterministic else config.num_threads


def _options(config: SfMConfig, K: np.ndarray | None):
    """pycolmap option objects for extraction, matching, pairing and mapping."""
    threads = _threads(config)
    reader = pycolmap.ImageReaderOptions()
    extract = pycolmap.FeatureExtractionOptions()
    extract.num_threads = threads
    extract.use_gpu = False
    extract.sift.max_num_features = config.max_num_features
    extract.sift.first_octave = config.sift_first_octave
    match = pycolmap.FeatureMatchingOptions()
    match.num_threads = threads
    match.use_gpu = False
    match.guided_matching = config.guided_matching
    pairing = pycolmap.SequentialPairingOptions()
    pairing.overlap = config.overlap
    pairing.quadratic_overlap = config.quadratic_overlap
    pairing.num_threads = threads
    if config.vocab_tree_path:
        pairing.loop_detection = True
        pairing.vocab_tree_path = str(config.vocab_tree_path)
    mapping = pycolmap.IncrementalPipelineOptions()
    mapping.num_threads = threads
    mapping.random_seed = config.seed
    mapping.mapper.random_seed = config.seed
    mapping.mapper.num_threads = threads
    mapping.min_model_size = min(mapping.min_model_size, 3)
    mapping.init_num_trials = config.init_num_trials
    mapping.mapper.init_min_tri_angle = config.init_min_tri_angle
    mapping.mapper.init_min_num_inliers = config.init_min_num_inliers
    mapping.mapper.filter_min_tri_angle = config.tri_min_angle
    mapping.triangulation.min_angle = config.tri_min_angle
    mapping.mapper.ba_local_min_tri_angle = config.ba_local_min_tri_angle
    if K is None:
        reader.camera_model = config.camera_model
        reader.default_focal_length_factor = config.focal_length_factor
    else:
        reader.camera_model = "PINHOLE"
        reader.camera_params = ",".join(f"{v:.10g}" for v in (K[0, 0], K[1, 1], K[0, 2], K[1, 2]))
        mapping.ba_refine_focal_length = False
        mapping.ba_refine_principal_point = False
        mapping.ba_refine_extra_params = False
        mapping.mapper.abs_pose_refine_focal_length = False
        mapping.mapper.abs_pose_refine_extra_params = False
    return reader, extract, match, pairing, mapping


def _pieces(
    ranked: list, db: Path, image_dir: Path, sparse: Path, names: list[str], mapping, config: SfMConfig
) -> list:
    """The models besides the main one, and those of the frames it left out mapped on their own
    (`wpdata.poses.remap`), largest first."""
    with _quiet_colmap(config.verbose):
        extra = remap_left_out(db, image_dir, sparse / "left_out", names, ranked[0], mapping,
                               config.remap_min_frames, config.remap_init_tri_angle, config.remap_init_inliers)  # fmt: skip
    return sorted(ranked[1:] + extra, key=_size, reverse=True)


def _size(rec: pycolmap.Reconstruction) -> tuple[int, int]:
    """(registered images, 3D points): how models are ranked."""
    return rec.num_reg_images(), rec.num_points3D()


def _largest(models: dict) -> pycolmap.Reconstruction | None:
    """The model with the most registered images (then points), or None."""
    return max(models.values(), key=_size) if models else None


def _map_and_pick(
    db: Path, image_dir: Path, sparse: Path, mapping, far_angles: tuple[float, float] | None, min_gain: float
) -> dict:
    """Incremental mapping with `mapping`, and again with the (triangulation, local BA) angles `far_angles`
    (written under sparse/far); the second run's models when its largest model registers at least
    `MIN_REG_SHARE` of the first's images and its mean reprojection error is at least `min_gain` lower."""
    first = pycolmap.incremental_mapping(db, image_dir, sparse, mapping)
    if far_angles is None:
        return first
    far = copy.deepcopy(mapping)
    far.triangulation.min_angle = far.mapper.filter_min_tri_angle = float(far_angles[0])
    far.mapper.ba_local_min_tri_angle = float(far_angles[1])
    (sparse / "far").mkdir(parents=True, exist_ok=True)
    second = pycolmap.incremental_mapping(db, image_dir, sparse / "far", far)
    a, b = _largest(first), _largest(second)
    if b is None:
        return first
    if a is None:
        return second
    better = b.compute_mean_reprojection_error() <= (1.0 - min_gain) * a.compute_mean_reprojection_error()
    return second if better and b.num_reg_images() >= MIN_REG_SHARE * a.num_reg_images() else first


def _drifted(models: dict, f0: float, max_drift: float | None) -> bool:
    """Whether bundle adjustment moved the largest model's focal more than `max_drift` (relative) from f0."""
    rec = _largest(models)
    if rec is None or max_drift is None:
        return False
    f = float(next(iter(rec.cameras.values())).mean_focal_length())
    return abs(f / f0 - 1.0) > max_drift


def _global(
    db: Path,
    image_dir: Path,
    names: list[str],
    sparse: Path,
    K: np.ndarray | None,
    K_rot: np.ndarray,
    mapping,
    config: SfMConfig,
) -> tuple[dict, int]:
    """GLOMAP on the two-view rotations with K_rot [3, 3] (the focal held fixed when K is unknown), written
    under `sparse`: (models, pairs deleted as inconsistent)."""
    pairs = read_pair_matches(db, names, max_offset=len(names))
    dropped = write_pair_rotations(db, names, pairs, K_rot, config.pair_check_deg)[0]
    if K is None:
        set_focal(db, float(K_rot[0, 0]), mapping, fix=True)
    sparse.mkdir(parents=True, exist_ok=True)
    opts = global_options(_threads(config), config.seed, refine_focal=K is None, refine_extra=False)
    return pycolmap.global_mapping(db, image_dir, sparse, opts), dropped


def _model_K(models: dict, K: np.ndarray | None) -> np.ndarray | None:
    """The given K, else the largest model's calibration [3, 3] (None without a model)."""
    rec = _largest(models)
    if K is not None or rec is None:
        return K
    return np.asarray(next(iter(rec.cameras.values())).calibration_matrix(), dtype=np.float64)


def run_sfm(
    image_dir: Path,
    names: list[str],
    work_dir: Path,
    config: SfMConfig,
    K: np.ndarray | None,
    reuse_db: bool = False,
) -> SfMResult:
    """Reconstruct the images `names` in `image_dir` (no poses when no model was built).

    K [3, 3] (pixels, at the images' size) is held fixed when given, else one shared camera of
    `config.camera_model` is estimated. reuse_db: `work_dir`'s database.db already holds the features and
    matches of these images (a copy of another run's), so they are not extracted and matched again.
    """
    reader, extract, match, pairing, mapping = _options(config, K)
    db = work_dir / "database.db"
    if reuse_db and not db.is_file():
        raise FileNotFoundError(f"reuse_db: no database at {db}")
    if db.exists() and not reuse_db:
        db.unlink()
    sparse = work_dir / "sparse"
    sparse.mkdir(parents=True, exist_ok=True)
    cpu = pycolmap.Device.cpu
    pycolmap.set_random_seed(config.seed)
    with _quiet_colmap(config.verbose):
        if not reuse_db:
            pycolmap.extract_features(
                db, image_dir, image_names=names, camera_mode=pycolmap.CameraMode.SINGLE,
                reader_options=reader, extraction_options=extract, device=cpu,
            )  # fmt: skip
            if config.matching == "exhaustive":
                ex = pycolmap.ExhaustivePairingOptions()
                pycolmap.match_exhaustive(db, matching_options=match, pairing_options=ex, device=cpu)
            elif config.matching == "sequential":
                pycolmap.match_sequential(db, matching_options=match, pairing_options=pairing, device=cpu)
            else:
                raise ValueError(f"unknown matching {config.matching!r}; known: sequential, exhaustive")
        with contextlib.closing(pycolmap.Database.open(db)) as d:
            num_features = {im.name: d.num_keypoints_for_image(im.image_id) for im in d.read_all_images()}
        stats, pure_pairs = db_rotation_pairs(db, names)
        pure = float(np.mean(pure_pairs)) if pure_pairs else 0.0
        turning = focal_from_rotations(stats)[1]
        f_rot, f_two, n_two = (
            initial_focal(db, names, stats, mapping, config, _threads(config))
            if K is None
            else (None, None, 0)
        )
        if config.mapper not in MAPPERS:
            raise ValueError(f"unknown mapper {config.mapper!r}; known: {', '.join(MAPPERS)}")
        K_rot = (
            agreement_K(db, K, f_rot if f_rot is not None else f_two, names)
            if config.mapper != "incremental"
            else None
        )
        dropped, held, mapper = 0, f_two is not None and config.focal_two_view == "fix", "incremental"
        if config.mapper == "global" and K_rot is not None:  # the project's pair rotations, GLOMAP
            models, dropped = _global(db, image_dir, names, sparse, K, K_rot, mapping, config)
            mapper = "global"
        else:
            models = _map_and_pick(db, image_dir, sparse, mapping, config.far_tri_angles, config.far_min_gain)
        if (
            mapper == "incremental"
            and f_two is not None
            and not held
            and _drifted(models, f_two, config.focal_max_drift)
        ):
            fixed = copy.deepcopy(mapping)
            fixed.ba_refine_focal_length = False
            fixed.mapper.abs_pose_refine_focal_length = False
            (sparse / "fixed").mkdir(parents=True, exist_ok=True)
            pycolmap.set_random_seed(config.seed)
            models = _map_and_pick(
                db, image_dir, sparse / "fixed", fixed, config.far_tri_angles, config.far_min_gain
            )
            held = True
        K_ev = K_rot if K_rot is not None else _model_K(models, K)
        evidence = consecutive_rotations(
            read_pair_matches(db, names, 1) if K_ev is not None else {}, K_ev, names
        )
        agree = {mapper: agreement(_poses(_largest(models)), names, evidence, config.auto_quantile)}
        if (
            config.mapper == "auto"
            and K_rot is not None
            and config.auto_max_deg < agree[mapper].high_deg < np.inf
        ):
            other, other_dropped = _global(db, image_dir, names, sparse / "global", K, K_rot, mapping, config)
            agree["global"] = agreement(_poses(_largest(other)), names, evidence, config.auto_quantile)
            if prefer(agree[mapper], agree["global"], config.auto_min_gain):
                models, dropped, mapper = other, other_dropped, "global"
        if mapper == "global" and K is None:  # GLOMAP mapped with the check focal, held fixed
            f_two = f_two if f_rot is not None else float(K_rot[0, 0])
            held = True
    if not models:
        return SfMResult({}, np.eye(3), np.nan, np.nan, np.nan, 0, num_features, 0, focal_rotation=f_rot,
                         pure_rotation_fraction=pure, turning_pairs=turning, focal_two_view=f_two,
                         two_view_pairs=n_two, focal_held=held, dropped_pairs=dropped, mapper=mapper,
                         agreement=agree)  # fmt: skip
    ranked = sorted(models.values(), key=_size, reverse=True)
    rec = ranked[0]
    c2w, legs = rescale_legs(
        _poses(rec), names, pure_pairs, _tracks(rec, names), config.leg_min_shared, config.leg_scale
    )
    cams = list(rec.cameras.values())
    return SfMResult(
        c2w=c2w,
        K=np.asarray(cams[0].calibration_matrix(), dtype=np.float64),
        reproj_error=float(rec.compute_mean_reprojection_error()),
        track_length=float(rec.compute_mean_track_length()),
        median_depth=_median_depth(rec),
        num_points=int(rec.num_points3D()),
        num_features=num_features,
        num_models=len(models),
        pieces=[
            (_poses(r), _median_depth(r))
            for r in _pieces(ranked, db, image_dir, sparse, names, mapping, config)
        ],
        focal_rotation=f_rot,
        pure_rotation_fraction=pure,
        turning_pairs=turning,
        focal_two_view=f_two,
        two_view_pairs=n_two,
        focal_held=held,
        dropped_pairs=dropped,
        mapper=mapper,
        agreement=agree,
        rescaled_legs=legs,
    )
