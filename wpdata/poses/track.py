"""`PoseTrack`: camera poses for every frame of a clip, with where they came from and how good they are.

On disk (`save_track`): one npz with ``c2w`` [T, 4, 4] float32 OpenCV camera-to-world, ``K`` [T, 3, 3]
float32 pixel intrinsics at (width, height), ``registered`` [T] bool (measured vs interpolated) and the
scalars (``width``, ``height``, ``source``, quality, scale, the SfM ``mapper``); a missing quality number is
stored as NaN, a missing mapper as "".
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from manifests.atomic import atomic_save_npz

SOURCES = ("clip_npz", "sekai", "vipe", "nerfstudio", "colmap", "render")
_OPTIONAL = (
    "registered_fraction",
    "reproj_error",
    "track_length",
    "median_depth",
    "chained_fraction",
    "rot_agreement_deg",
    "rot_agreement_high_deg",
    "dir_agreement_deg",
    "dir_agreement_high_deg",
)


@dataclass
class PoseTrack:
    """Poses of every clip frame (OpenCV c2w) with pixel intrinsics, provenance and quality."""

    c2w: np.ndarray  # [T, 4, 4] float64 OpenCV camera-to-world
    K: np.ndarray  # [T, 3, 3] float64 pixel intrinsics at (width, height)
    width: int
    height: int
    source: str  # "clip_npz" | "sekai" | "vipe" | "nerfstudio" | "colmap" (estimated) | "render"
    registered: np.ndarray  # [T] bool: pose measured (True) or interpolated (False)
    registered_fraction: float | None = None  # estimated: registered / sampled frames
    reproj_error: float | None = None  # px, mean over the reconstruction's observations
    track_length: float | None = None  # mean observations per 3D point
    scale: float = 1.0  # factor applied to the translations
    scale_rule: str = "none"
    median_depth: float | None = None  # median depth of the reconstructed points in their cameras
    chained_fraction: float | None = None  # estimated: sampled frames oriented by chained rotations / sampled
    mapper: str | None = None  # estimated: the SfM mapper that built the model ("incremental" | "global")
    # estimated: median / high quantile (SfMConfig.auto_quantile) of the angle between the model's and the
    # two-view relative rotation of consecutive sampled frames (wpdata.poses.auto_mapper; inf: unregistered)
    rot_agreement_deg: float | None = None
    rot_agreement_high_deg: float | None = None
    # estimated: median / high quantile of the angle between the track's moves and the two-view directions of
    # moving sampled pairs (wpdata.poses.motion_check; nan: no moving pair)
    dir_agreement_deg: float | None = None
    dir_agreement_high_deg: float | None = None
    rescaled_legs: int = 0  # estimated: walks after a turn on the spot put at the pace before it (poses.legs)
    repaired_jumps: int = 0  # estimated: rotation jumps between neighbours turned out (poses.rotation_jumps)

    def __post_init__(self) -> None:
        self.c2w = np.asarray(self.c2w, dtype=np.float64)
        self.K = np.asarray(self.K, dtype=np.float64)
        self.registered = np.asarray(self.registered, dtype=bool)
        T = len(self.c2w)
        if self.c2w.shape != (T, 4, 4) or T == 0:
            raise ValueError(f"PoseTrack: c2w must be [T, 4, 4] with T > 0, got {self.c2w.shape}")
        if self.K.shape != (T, 3, 3):
            raise ValueError(f"PoseTrack: K must be [{T}, 3, 3], got {self.K.shape}")
        if self.registered.shape != (T,):
            raise ValueError(f"PoseTrack: registered must be [{T}], got {self.registered.shape}")
        if not (np.isfinite(self.c2w).all() and np.isfinite(self.K).all()):
            raise ValueError("PoseTrack: c2w / K contain non-finite values")
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise ValueError(f"PoseTrack: bad image size {self.width}x{self.height}")
        self.width, self.height = int(self.width), int(self.height)

    @property
    def num_frames(self) -> int:
        """Number of clip frames T."""
        return len(self.c2w)

    def path_length(self) -> float:
        """Summed distance between consecutive camera centres (in the track's units)."""
        return float(np.linalg.norm(np.diff(self.c2w[:, :3, 3], axis=0), axis=1).sum())


def _opt(x: float | None) -> np.ndarray:
    return np.float64(np.nan if x is None else x)


def save_track(path: str | os.PathLike, track: PoseTrack) -> Path:
    """Write the track as an npz (c2w / K float32, registered bool, scalars; atomic)."""
    return atomic_save_npz(
        path,
        c2w=track.c2w.astype(np.float32),
        K=track.K.astype(np.float32),
        registered=track.registered.astype(bool),
        width=np.int64(track.width),
        height=np.int64(track.height),
        source=np.str_(track.source),
        scale=np.float64(track.scale),
        scale_rule=np.str_(track.scale_rule),
        mapper=np.str_(track.mapper or ""),
        rescaled_legs=np.int64(track.rescaled_legs),
        repaired_jumps=np.int64(track.repaired_jumps),
        **{k: _opt(getattr(track, k)) for k in _OPTIONAL},
    )


def load_track(path: str | os.PathLike) -> PoseTrack:
    """Read a track written by `save_track` (ValueError naming the file when keys are missing)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pose track not found: {path}")
    need = ("c2w", "K", "registered", "width", "height", "source")
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path}: unreadable npz ({type(e).__name__}: {e})") from None
    absent = [k for k in need if k not in d]
    if absent:
        raise ValueError(f"{path}: not a pose track, missing key(s) {absent}; has {sorted(d)}")
    opt = {k: float(d[k]) for k in _OPTIONAL if k in d}
    try:
        return PoseTrack(
            c2w=d["c2w"],
            K=d["K"],
            width=int(d["width"]),
            height=int(d["height"]),
            source=str(d["source"]),
            registered=d["registered"],
            scale=float(d.get("scale", 1.0)),
            scale_rule=str(d.get("scale_rule", "none")),
            mapper=str(d["mapper"]) or None if "mapper" in d else None,
            rescaled_legs=int(d.get("rescaled_legs", 0)),
            repaired_jumps=int(d.get("repaired_jumps", 0)),
            **{k: (None if math.isnan(v) else v) for k, v in opt.items()},
        )
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
