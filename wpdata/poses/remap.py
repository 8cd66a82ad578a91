"""Map the frames the main model left out on their own, so that they come back as one piece.

After the main model is built, COLMAP's incremental mapper goes on from the images it did not register,
but with the same initial-pair demands (`SfMConfig.init_min_tri_angle`, `init_min_num_inliers`). A walk
straight down a street before a turn on the spot gives only small triangulation angles, so it often
ends as a few 3-frame models or none (`wpdata.poses.pieces` then places what there is, and the rest is
interpolated from one position). Mapping those frames alone (pycolmap's `image_names`) with a lower
initial-pair angle and inlier count starts from their best pair and registers most of them in one
model: on the synthetic out-and-back street clip of seed 99 (28 frames left out) the first pass gave
four 3-frame models, this pass one of 22. Its models become extra pieces (`sfm` ranks them).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pycolmap

__all__ = ["remap_left_out"]


def remap_left_out(
    db: Path,
    image_dir: Path,
    out: Path,
    names: list[str],
    main: pycolmap.Reconstruction,
    mapping: pycolmap.IncrementalPipelineOptions,
    min_frames: int,
    init_min_tri_angle: float,
    init_min_num_inliers: int,
) -> list[pycolmap.Reconstruction]:
    """Models of the frames among `names` that `main` did not register (none when fewer than
    `min_frames` are left out, or `min_frames` <= 0), mapped with the relaxed initial-pair demands."""
    registered = {im.name for im in main.images.values() if im.has_pose}
    left = [n for n in names if n not in registered]
    if min_frames <= 0 or len(left) < min_frames:
        return []
    opts = copy.deepcopy(mapping)
    opts.image_names = left
    opts.mapper.init_min_tri_angle = float(init_min_tri_angle)
    opts.mapper.init_min_num_inliers = int(init_min_num_inliers)
    out.mkdir(parents=True, exist_ok=True)
    models = pycolmap.incremental_mapping(db, image_dir, out, opts)
    return list(models.values())
