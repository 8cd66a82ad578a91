"""Analyse one span of a source into the clips-manifest score columns (scores only, no decisions).

One decode of the span at analysis resolution (gray, with the chroma planes for the overlay test,
``analysis_fps``, optionally reference frames only) feeds motion, shake, overlays and quality; crowd counting takes a few full-colour frames at
keyframes (from that decode as it passes them, see `crowd_counter`), so the span is never decoded at full resolution.

With more than one thread (``threads``, or the CPUs this process may use when 0), the people counts run
beside the gray decode, the motion and overlay-evidence pairs are split across a thread pool
(OpenCV and PyAV release the GIL) and sharpness and exposure run beside the overlay pass. The decoder then
gets one thread fewer than the pool and OpenCV's own threads are off: the pool already fills the CPUs,
and the extra threads cost CPU time for nothing (on 2 CPUs ~5% of the analysis wall time each).
Every score is the same as with one thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from wpdata.filters.crowd import HogPeopleDetector, TransformersPeopleDetector
from wpdata.filters.crowd_counter import CrowdCounter, crowd_indices
from wpdata.filters.frames import sample_frames, source_info
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
    threads: int = 0  # CPUs one analysis uses (0: all this process may): a pool of that many threads and
    # a decoder of one fewer (1: everything on the calling thread); a Ray stage sets its declared cpus

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
    decode = replace(config, threads=workers - 1)  # FFmpeg's frame threads leave one CPU to the pool's work
    with _opencv_single_threaded(), ThreadPoolExecutor(workers, thread_name_prefix="wp-analyse") as pool:
        return _analyse(path, start, end, decode, source_fps, detector, pool)


_cv_lock = threading.Lock()
_cv_state = {"users": 0, "saved": 1}


@contextmanager
def _opencv_single_threaded() -> Iterator[None]:
    """OpenCV's own thread pool off while an analysis runs its pool (the pool already fills the CPUs; both
    together cost ~5% more CPU and wall on 2 CPUs), the caller's setting back when the last one ends.
    Process-wide: OpenCV has one thread setting; every function used gives the same result either way."""
    with _cv_lock:
        if _cv_state["users"] == 0:
            _cv_state["saved"] = cv2.getNumThreads()
            cv2.setNumThreads(1)
        _cv_state["users"] += 1
    try:
        yield
    finally:
        with _cv_lock:
            _cv_state["users"] -= 1
            if _cv_state["users"] == 0:
                cv2.setNumThreads(_cv_state["saved"])


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
        crowd = CrowdCounter(
            path,
            start,
            end,
            config.crowd_frames,
            config.crowd_width,
            detector,
            info,
            source_fps,
            config.threads,
            pool,
        )
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
        on_frame=crowd.offer if crowd is not None and not config.skip_loop_filter else None,
    )
    if len(frames) < 2:
        raise ValueError(f"only {len(frames)} analysis frame(s) decoded from [{start}, {end})")
    gray = frames.gray  # [N, h, w] uint8
    quality = [pool.submit(f, gray) for f in (sharpness, exposure)] if pool is not None else None
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
    sharp, light = [q.result() for q in quality] if quality is not None else (sharpness(gray), exposure(gray))
    out["score_sharpness"] = float(sharp)
    out["score_brightness"] = float(light["brightness"])
    out["score_dark_fraction"] = float(light["dark_fraction"])
    out["score_bright_fraction"] = float(light["bright_fraction"])
    out["score_crowd"] = out["score_crowd_max"] = None
    if crowd is not None:
        out["score_crowd"], out["score_crowd_max"] = crowd.result()
    return out
