"""Shot boundaries in sampled analysis frames, and the split of a shot list into clip spans.

Candidates come from PySceneDetect's ContentDetector and AdaptiveDetector (the SpatialVID pair), fed
the sampled gray frames directly, and from "the global motion fit fails" (REFERENCE section 4): every
pair whose LK similarity fit is poor, which catches hard cuts between similar-looking shots that
escape intensity differences. Requiring good fits around the failing pair lost cuts next to fast
turns or poorly tracked rooms (the fits there are poor too), so every failing pair is a candidate.
Each candidate is then confirmed by :class:`~wpdata.filters.cut_verify.PairVerifier`: a cut only
when neither ORB / SIFT matches nor a photometric check of the candidate warps link the two frames.
Fast turns, shake, blur and darkness make LK and intensity differences fire, but the frames still
share matchable content, or are too dark / featureless to judge; across a cut nothing links them.
"""

from __future__ import annotations

import cv2
import numpy as np
from scenedetect import AdaptiveDetector, ContentDetector, FrameTimecode

from wpdata.filters.cut_verify import PairVerifier
from wpdata.filters.frames import AnalysisFrames
from wpdata.filters.motion import MotionTrack

__all__ = [
    "content_cuts",
    "detect_cuts",
    "fit_failure_cuts",
    "fit_quality",
    "short_shots",
    "shot_spans",
    "split_spans",
    "unrelated",
]

CONTENT_THRESHOLD = 27.0  # ContentDetector luma delta (0-255 scale) between sampled frames
ADAPTIVE_THRESHOLD = 3.0  # AdaptiveDetector ratio to the neighbours' mean delta
ADAPTIVE_MIN_CONTENT = 15.0
MIN_SHOT_S = 1.0  # cuts closer than this to the previous one are merged
FIT_FAIL_MAX = 0.15  # a pair with fit quality below this is a candidate


def _shot_frames(frames: AnalysisFrames) -> int:
    """MIN_SHOT_S in analysis frames (at least 1)."""
    step = float(np.median(np.diff(frames.times))) if len(frames) > 1 else 1.0
    return max(1, int(round(MIN_SHOT_S / max(step, 1e-3))))


def content_cuts(frames: AnalysisFrames) -> list[int]:
    """Positions k (a shot starts at analysis frame k) from PySceneDetect's content + adaptive detectors."""
    rate = 1.0 / max(float(np.median(np.diff(frames.times))), 1e-3) if len(frames) > 1 else 1.0
    min_len = _shot_frames(frames)
    detectors = [
        ContentDetector(threshold=CONTENT_THRESHOLD, min_scene_len=min_len, luma_only=True),
        AdaptiveDetector(
            adaptive_threshold=ADAPTIVE_THRESHOLD,
            min_scene_len=min_len,
            min_content_val=ADAPTIVE_MIN_CONTENT,
            luma_only=True,
        ),
    ]
    found: set[int] = set()
    for k, g in enumerate(frames.gray):
        bgr = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)  # [h, w, 3] uint8
        tc = FrameTimecode(k, fps=rate)
        for det in detectors:
            found.update(c.frame_num for c in det.process_frame(tc, bgr))
    last = FrameTimecode(max(len(frames) - 1, 0), fps=rate)
    found.update(c.frame_num for det in detectors for c in det.post_process(last))
    return sorted(k for k in found if 0 < k < len(frames))


def fit_quality(track: MotionTrack, max_points: int = 160) -> np.ndarray:
    """Per-pair quality of the global fit in [0, 1]: inlier ratio times tracked-point coverage. [N-1]"""
    cover = np.minimum(track.n_points / (0.5 * max_points), 1.0)
    return track.inlier_ratio * cover


def fit_failure_cuts(track: MotionTrack) -> list[int]:
    """Candidate positions k (a shot may start at frame k) where the fit of pair k-1 fails."""
    return [i + 1 for i in np.flatnonzero(fit_quality(track) < FIT_FAIL_MAX).tolist()]


def unrelated(g0: np.ndarray, g1: np.ndarray) -> bool:
    """True when gray frames g0, g1 [h, w] uint8 carry signal and nothing links them (see cut_verify)."""
    return PairVerifier(np.stack([g0, g1])).unrelated(1)


def detect_cuts(frames: AnalysisFrames, track: MotionTrack) -> list[int]:
    """Source frame indices where a new shot starts (the first sampled frame after each cut). Deterministic."""
    if len(frames) < 2:
        return []
    cv2.setRNGSeed(0)
    content = {k + d for k in content_cuts(frames) for d in (-1, 0, 1)}  # detectors may report a frame late
    candidates = sorted(k for k in content | set(fit_failure_cuts(track)) if 0 < k < len(frames))
    motion = track.A if len(track) == len(frames) - 1 else None
    verifier = PairVerifier(frames.gray, motion)
    min_gap, confirmed = _shot_frames(frames), []
    # a candidate closer than min_gap after a confirmed cut would be merged into it: skip its check
    for k in candidates:
        if (not confirmed or k - confirmed[-1] >= min_gap) and verifier.unrelated(k):
            confirmed.append(k)
    return [int(frames.indices[k]) for k in confirmed]


def shot_spans(
    num_frames: int,
    cuts: list[int],
    fps: float,
    min_s: float = 3.0,
    max_s: float = 15.0,
    trim_s: float = 0.3,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(spans, short shots) of a source of ``num_frames`` frames cut at ``cuts`` (source frame indices).

    spans: [start, end) pieces of each shot, trimmed by trim_s per end, split evenly to <= max_s,
    pieces >= min_s kept. short shots: the untrimmed [start, end) of every shot that gave no span,
    so each shot of the source is accounted for by one or the other.
    """
    bounds = [0] + sorted({int(c) for c in cuts if 0 < c < num_frames}) + [int(num_frames)]
    trim = int(round(trim_s * fps))
    min_len = int(np.ceil(min_s * fps - 1e-9))
    max_len = max(1, int(np.floor(max_s * fps + 1e-9)))
    spans: list[tuple[int, int]] = []
    short: list[tuple[int, int]] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        start, end = a + trim, b - trim
        length = end - start
        pieces = int(np.ceil(length / max_len)) if length >= min_len else 0
        edges = [start + (length * i) // pieces for i in range(pieces + 1)] if pieces else []
        kept = [(s, e) for s, e in zip(edges[:-1], edges[1:], strict=True) if e - s >= min_len]
        spans.extend(kept)
        if not kept and b > a:
            short.append((a, b))
    return spans, short


def split_spans(
    num_frames: int,
    cuts: list[int],
    fps: float,
    min_s: float = 3.0,
    max_s: float = 15.0,
    trim_s: float = 0.3,
) -> list[tuple[int, int]]:
    """[start, end) source-frame spans: shots cut at `cuts`, trimmed by trim_s per end, split to <= max_s, >= min_s kept."""
    return shot_spans(num_frames, cuts, fps, min_s, max_s, trim_s)[0]


def short_shots(
    num_frames: int,
    cuts: list[int],
    fps: float,
    min_s: float = 3.0,
    max_s: float = 15.0,
    trim_s: float = 0.3,
) -> list[tuple[int, int]]:
    """Untrimmed [start, end) of the shots :func:`split_spans` gives no span for (too short once trimmed)."""
    return shot_spans(num_frames, cuts, fps, min_s, max_s, trim_s)[1]
