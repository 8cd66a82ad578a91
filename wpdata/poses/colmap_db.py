"""A COLMAP database before mapping: its verified pair matches, and the shared camera's focal set from
turns (`wpdata.poses.focal`) or moving pairs (`wpdata.poses.focal_twoview`); used by `wpdata.poses.sfm`."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pycolmap

from .focal import focal_from_rotations, is_pure_rotation, rotation_pairs
from .focal_twoview import focal_from_two_views, two_view_focals

if TYPE_CHECKING:
    from .sfm_config import SfMConfig

__all__ = [
    "agreement_K",
    "db_rotation_pairs",
    "initial_focal",
    "read_pair_matches",
    "reverify",
    "set_focal",
    "two_view_focal",
]


def read_pair_matches(
    db_path: Path, names: list[str], max_offset: int = 1
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Verified matches of image pairs (i, j), 0 < j - i <= max_offset, from a COLMAP database.

    Returns (i, j) -> (x_i [M, 2], x_j [M, 2]) pixel positions of the geometrically verified inlier
    matches (pairs without any are left out). i, j index `names`.
    """
    out = {}
    with contextlib.closing(pycolmap.Database.open(db_path)) as d:
        ids = {im.name: im.image_id for im in d.read_all_images()}
        kps = {}
        for i in range(len(names)):
            for j in range(i + 1, min(i + max_offset, len(names) - 1) + 1):
                a, b = ids.get(names[i]), ids.get(names[j])
                if a is None or b is None or not d.exists_two_view_geometry(a, b):
                    continue
                m = np.asarray(d.read_two_view_geometry(a, b).inlier_matches)  # [M, 2]
                if len(m) == 0:
                    continue
                for k in (a, b):
                    if k not in kps:
                        kps[k] = np.asarray(d.read_keypoints(k))[:, :2]  # [N, 2]
                out[(i, j)] = (kps[a][m[:, 0]], kps[b][m[:, 1]])
    return out


def db_rotation_pairs(db: Path, names: list[str]) -> tuple[dict, list[bool]]:
    """(`wpdata.poses.focal.rotation_pairs` of image pairs up to 3 apart, [S-1] whether each pair of
    neighbours fits a pure rotation)."""
    with contextlib.closing(pycolmap.Database.open(db)) as d:
        cams = d.read_all_cameras()
    if not cams:
        return {}, [False] * max(len(names) - 1, 0)
    stats = rotation_pairs(read_pair_matches(db, names, max_offset=3), cams[0].width, cams[0].height)
    return stats, [is_pure_rotation(stats.get((i, i + 1))) for i in range(len(names) - 1)]


def set_focal(db: Path, f: float, mapping, fix: bool) -> bool:
    """Set the shared camera's focal to f (px) in the database; held fixed in mapping when `fix`.

    Returns False (nothing changed) when the database has not exactly one camera.
    """
    with contextlib.closing(pycolmap.Database.open(db)) as d:
        cams = d.read_all_cameras()
        if len(cams) != 1:
            return False
        cam = cams[0]
        params = np.asarray(cam.params, dtype=np.float64).copy()
        params[list(cam.focal_length_idxs())] = f
        cam.params = params
        cam.has_prior_focal_length = True  # else COLMAP may re-initialise it
        d.update_camera(cam)
    if fix:
        mapping.ba_refine_focal_length = False
        mapping.mapper.abs_pose_refine_focal_length = False
    return True


def reverify(db: Path, threads: int) -> None:
    """Geometric verification of the stored matches again, now with the camera's prior focal (E, not F)."""
    with contextlib.closing(pycolmap.Database.open(db)) as d:
        d.clear_two_view_geometries()
    verifier = pycolmap.GeometricVerifierOptions()
    verifier.num_threads = threads
    pycolmap.geometric_verification(db, verifier_options=verifier)


def two_view_focal(db: Path, names: list[str]) -> tuple[float | None, int]:
    """`wpdata.poses.focal_twoview.focal_from_two_views` over every matched image pair of the database."""
    with contextlib.closing(pycolmap.Database.open(db)) as d:
        cams = d.read_all_cameras()
    if len(cams) != 1:
        return None, 0
    pairs = read_pair_matches(db, names, max_offset=len(names))
    return focal_from_two_views(two_view_focals(pairs, cams[0].width, cams[0].height))


def initial_focal(
    db: Path, names: list[str], stats: dict, mapping, config: SfMConfig, threads: int
) -> tuple[float | None, float | None, int]:
    """Set the unknown camera's focal before mapping: (focal from turns, from moving pairs, pairs used).

    A focal from pure-rotation pairs is held fixed; else one from the moving pairs' fundamental matrices
    starts bundle adjustment (held fixed with focal_two_view "fix"), and the matches are verified again
    with it (essential matrices, as with a known K). Neither: COLMAP's initial guess, self-calibrated.
    """
    f_rot = focal_from_rotations(stats)[0] if config.focal_from_rotation else None
    if f_rot is not None:
        return (f_rot, None, 0) if set_focal(db, f_rot, mapping, fix=True) else (None, None, 0)
    if config.focal_two_view == "off":
        return None, None, 0
    if config.focal_two_view not in ("fix", "refine"):
        raise ValueError(f"unknown focal_two_view {config.focal_two_view!r}; known: fix, refine, off")
    f_two, n_two = two_view_focal(db, names)
    if f_two is None or not set_focal(db, f_two, mapping, fix=config.focal_two_view == "fix"):
        return None, None, n_two
    reverify(db, threads)
    return None, f_two, n_two


def agreement_K(db: Path, K: np.ndarray | None, f_known: float | None, names: list[str]) -> np.ndarray | None:
    """K [3, 3] for the two-view rotations: the given one, else the focal from turns or moving pairs."""
    if K is not None:
        return K
    with contextlib.closing(pycolmap.Database.open(db)) as d:
        cams = d.read_all_cameras()
    f = f_known if f_known is not None else two_view_focal(db, names)[0]
    if len(cams) != 1 or f is None:
        return None
    return np.array([[f, 0.0, cams[0].width / 2], [0.0, f, cams[0].height / 2], [0.0, 0.0, 1.0]])
