"""Analyse one span of a source into the clips-manifest score columns (scores only, no decisions).

One decode of the span at analysis resolution (gray, with the chroma planes for the overlay test,
``analysis_fps``, optionally reference frames only) feeds motion, shake, overlays and quality; crowd counting takes a few full-colour frames at
keyframes (each decodes on its own), so the span is never decoded at full resolution.

With more than one thread (``threads``, or the CPUs this process may use when 0), the people count runs
beside the gray decode and the motion and overlay-evidence pairs are split across a thread pool
(OpenCV and PyAV release the GIL); every score is the same as with one thread.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from wpdata.clips.timing import keyframe_indices
from wpdata.filters.crowd import HogPeopleDetector, TransformersPeopleDetector, crowd_density
from wpdata.filters.frames import rgb_frames, sample_frames, source_info
from wpdata.filters.motion import MotionTrack, estimate_motion, estimate_pair, motion_track
from wpdata.filters.overlay import detect_overlays
from wpdata.filters.quality import exposure, sharpness
from wpdata.filters.shake import motion_amount, shake_score

__all__ = ["AnalysisConfig", "analyse_span", "crowd_indices", "make_detector"]


@dataclass
class AnalysisConfig:
    """How a span is analysed (what is decoded and which detector counts people)."""

    analysis_fps: float = 6.0  # gray frames per second for motion, shake, overlays, quality
    width: int = 320  # analysis width in pixels
    skip_nonref: bool = True  # reference frames only (PyAV skip_frame="NONREF"): ~30% less decoding;
    # the spacing becomes uneven, which shake_score rescales per step (cut detection keeps every frame)
    skip_loop_filter: bool = False  # with skip_nonref: no deblocking in the gray decode (~25% less decode)
    crowd: bool = True  # count people at all
    crowd_frames: int = 3  # full-colour frames given to the people detector
    crowd_width: int = 640  # their width in pixels
    detector_path: str | None = None  # a transformers object detector (folder/hub id); None: OpenCV HOG
    detector_threshold: float = 0.5
    overlay_chroma: bool = True  # also test the (Cb, Cr) planes for static overlays (colour-only marks)
    remask_overlays: bool = True  # re-fit the camera motion with detected overlays masked out
    threads: int = 0  # decoder threads per decode (0: automatic); a Ray stage sets its declared cpus

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> AnalysisConfig:
        """From a config mapping; unknown keys raise ValueError."""
        d = dict(d or {})
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown analysis config keys {unknown}")
        return cls(**d)


def make_detector(config: AnalysisConfig) -> Any:
    """The people detector ``config`` names (HOG when no transformers model is given); None if crowd off."""
    if not config.crowd:
        return None
    if config.detector_path:
        return TransformersPeopleDetector(config.detector_path, config.detector_threshold)
    return HogPeopleDetector()


def crowd_indices(path: str | Path, start: int, end: int, fps: float, count: int) -> list[int]:
    """``count`` source frames of [start, end) for the people detector, keyframes preferred, spread out."""
    if count <= 0 or end <= start:
        return []
    keys = keyframe_indices(path, start, end, fps)
    pool = keys if len(keys) >= count else sorted(set(keys) | {start})
    pick = np.unique(np.round(np.linspace(0, len(pool) - 1, min(count, len(pool)))).astype(int))
    return [int(pool[i]) for i in pick]


def _motion_scores(track: MotionTrack, times: np.ndarray, width: int, height: int) -> dict[str, float | None]:
    if len(track.reliable) == 0:
        return {"score_shake": None, "score_motion": None, "score_motion_reliable": 0.0}
    return {
        "score_shake": float(shake_score(track, times)),
        "score_motion": float(motion_amount(track, times, width, height)),
        "score_motion_reliable": float(np.mean(track.reliable)),
    }


def analyse_span(
    path: str | Path,
    start: int,
    end: int,
    config: AnalysisConfig | None = None,
    source_fps: float | None = None,
    detector: Any = None,
) -> dict[str, Any]:
    """Scores of source frames [start, end) as clips-manifest columns (``score_*``, ``overlay_*``, ``duration_s``).

    ``source_fps`` is needed for image folders; ``detector`` (see :func:`make_detector`) is reused
    across calls by a worker, built here when None and crowd counting is on.
    """
    config = config or AnalysisConfig()
    workers = config.threads if config.threads > 0 else len(os.sched_getaffinity(0))
    if workers < 2:
        return _analyse(path, start, end, config, source_fps, detector, None)
    with ThreadPoolExecutor(workers, thread_name_prefix="wp-analyse") as pool:
        return _analyse(path, start, end, config, source_fps, detector, pool)


def _analyse(
    path: str | Path,
    start: int,
    end: int,
    config: AnalysisConfig,
    source_fps: float | None,
    detector: Any,
    pool: ThreadPoolExecutor | None,
) -> dict[str, Any]:
    """``analyse_span`` with its independent parts on ``pool``'s threads when given: the people count
    and each consecutive pair's motion fit while the gray frames decode, then the overlay evidence pairs
    split across the threads."""
    info = source_info(path, source_fps)  # (fps, (w, h), frames), probed once for both decodes
    crowd = None
    if config.crowd:
        detector = detector if detector is not None else make_detector(config)
        count = partial(_crowd, path, start, end, config, source_fps, detector, info)
        crowd = pool.submit(count) if pool is not None else None
    fits: list[Future] = []  # motion of each consecutive pair, fitted while later frames decode
    last: list[np.ndarray] = []

    def pair(g: np.ndarray) -> None:
        if last:
            fits.append(pool.submit(estimate_pair, last[0], g))
        last[:] = [g]

    frames = sample_frames(
        path,
        start,
        end,
        analysis_fps=config.analysis_fps,
        width=config.width,
        source_fps=source_fps,
        skip_nonref=config.skip_nonref,
        threads=config.threads,
        chroma=config.overlay_chroma,
        on_gray=pair if pool is not None else None,
        skip_loop_filter=config.skip_loop_filter,
        info=info,
    )
    if len(frames) < 2:
        raise ValueError(f"only {len(frames)} analysis frame(s) decoded from [{start}, {end})")
    gray = frames.gray  # [N, h, w] uint8
    if pool is not None:
        track = motion_track([f.result() for f in fits], gray.shape[2], gray.shape[1])
    else:
        track = estimate_motion(gray)
    overlays = detect_overlays(gray, track, frames.chroma, pool=pool)
    if config.remask_overlays and overlays.mask.any() and overlays.area_fraction < 0.5:
        track = estimate_motion(gray, mask=overlays.mask, pool=pool)  # overlay pixels no longer pull the fit
    out: dict[str, Any] = {"duration_s": (end - start) / frames.src_fps}
    out.update(_motion_scores(track, frames.times, gray.shape[2], gray.shape[1]))
    out["score_overlay_area"] = float(overlays.area_fraction)
    out["score_overlay_evidence"] = float(overlays.evidence)
    out["overlay_boxes"] = [[float(v) for v in box] for box in overlays.boxes]
    out["overlay_kinds"] = list(overlays.kinds)
    out["overlay_evidences"] = [float(e) for e in overlays.evidences]
    out["score_sharpness"] = float(sharpness(gray))
    light = exposure(gray)
    out["score_brightness"] = float(light["brightness"])
    out["score_dark_fraction"] = float(light["dark_fraction"])
    out["score_bright_fraction"] = float(light["bright_fraction"])
    out["score_crowd"] = out["score_crowd_max"] = None
    if config.crowd:
        counted = (
            crowd.result()
            if crowd is not None
            else _crowd(path, start, end, config, source_fps, detector, info)
        )
        out["score_crowd"], out["score_crowd_max"] = counted
    return out


def _crowd(
    path: str | Path,
    start: int,
    end: int,
    config: AnalysisConfig,
    source_fps: float | None,
    detector: Any,
    info: tuple[float, tuple[int, int], int],
) -> tuple[float | None, float | None]:
    """(mean, max) people per frame over a few full-colour keyframes of [start, end) (None without any)."""
    src_fps, src_size, _ = info
    idx = crowd_indices(path, start, end, src_fps, config.crowd_frames)
    # one call per frame: each seeks to its keyframe instead of decoding the frames in between
    parts = [
        rgb_frames(path, [i], config.crowd_width, source_fps, config.threads, src_size=src_size) for i in idx
    ]
    rgb = np.concatenate(parts) if parts else np.zeros((0, 1, 1, 3), np.uint8)  # [M, H, W, 3] uint8
    if not len(rgb):
        return None, None
    crowd = crowd_density(rgb, detector)
    return float(crowd["mean"]), float(crowd["max"])
