"""`SceneData`: a multi-view scene in the project convention (OpenCV c2w float64, pixel K)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class SceneData:
    """Images (paths, optionally decoded), cameras, sparse points, the train/test split and counts."""

    image_paths: list[Path]
    c2w: np.ndarray  # [N, 4, 4] float64 OpenCV camera-to-world
    K: np.ndarray  # [N, 3, 3] float64 pixel intrinsics at the chosen factor
    widths: np.ndarray  # [N] int64 image width in pixels at the chosen factor
    heights: np.ndarray  # [N] int64
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # [P, 3] float64
    point_colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))  # [P, 3] uint8
    train_idx: list[int] = field(default_factory=list)
    test_idx: list[int] = field(default_factory=list)
    source_format: str = "unknown"  # "dl3dv" | "nerfstudio" | "colmap" | "synthetic"
    root: Path = Path(".")
    factor: int = 1
    num_listed: int = 0  # frames the source lists
    num_missing: int = 0  # listed frames whose image file is absent (skipped)
    num_skipped: int = 0  # other frames left out (e.g. images without a registered pose)
    distortion: list[dict[str, float]] = field(default_factory=list)  # per image, COLMAP/OpenCV names
    images: list[np.ndarray] | None = None  # decoded [H, W, 3] uint8, when already in memory

    @property
    def num_images(self) -> int:
        """Number of usable images (with a pose and an existing file)."""
        return len(self.image_paths) if self.images is None else len(self.images)

    def subset(self, idx: list[int]) -> SceneData:
        """The same scene restricted to images ``idx`` (points kept; split reset)."""
        return SceneData(
            [self.image_paths[i] for i in idx] if self.image_paths else [],
            self.c2w[idx],
            self.K[idx],
            self.widths[idx],
            self.heights[idx],
            self.points,
            self.point_colors,
            [],
            [],
            self.source_format,
            self.root,
            self.factor,
            self.num_listed,
            self.num_missing,
            self.num_skipped,
            [self.distortion[i] for i in idx] if self.distortion else [],
            None if self.images is None else [self.images[i] for i in idx],
        )
