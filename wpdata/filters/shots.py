"""Shot boundaries in sampled analysis frames, and the split of a shot list into clip spans.

Candidates come from PySceneDetect's ContentDetector and AdaptiveDetector (the SpatialVID pair), fed
the sampled gray frames directly, and from a "the global motion fit suddenly fails" detector
(REFERENCE section 4): a pair whose LK similarity fit is poor while the pairs around it fit well,
which catches hard cuts between similar-looking shots that escape intensity differences. Every
candidate is then confirmed geometrically: ORB matches (rotation invariant, any displacement) must
find no consistent similarity, and SIFT matches no consistent homography (close walls under strong
rotation defeat ORB). Fast turns, shake and blur make LK and intensity differences fire, but the two
frames still share matchable content; across a cut they do not. On the tuning set cut pairs had
<= 4 ORB similarity inliers (fast-motion pairs >= 20) and <= 6% SIFT homography inliers.
"""

from __future__ import annotations

import cv2
import numpy as np
from scenedetect import AdaptiveDetector, ContentDetector, FrameTimecode

from wpdata.filters.frames import AnalysisFrames
from wpdata.filters.motion import MotionTrack, stretch_dark

__all__ = ["content_cuts", "detect_cuts", "fit_failure_cuts", "fit_quality", "split_spans", "unrelated"]

CONTENT_THRESHOLD = 27.0  # ContentDetector luma delta (0-255 scale) between sampled frames
ADAPTIVE_THRESHOLD = 3.0  # AdaptiveDetector ratio to the neighbours' mean delta
ADAPTIVE_MIN_CONTENT = 15.0
MIN_SHOT_S = 1.0  # cuts closer than this to the previous one are merged
FIT_FAIL_MAX = 0.15  # a pair with fit quality below this ...
FIT_NEIGHBOURS_MIN = 0.2  # ... while the median of its neighbours is above this, is a candidate
FIT_NEIGHBOURS = 3  # pairs on each side
MIN_KEYPOINTS = 40  # fewer in either frame: nothing to confirm with, not a cut
ORB_FEATURES = 500
ORB_MAX_INLIERS = 10  # a similarity with more ORB inliers than this links the frames: not a cut
SIFT_FEATURES = 500
SIFT_MAX_INLIER_FRACTION = 0.1  # homography inliers / keypoints above this links the frames: not a cut
MATCH_RANSAC_PX = 3.0  # at 320 px width, scaled with the width


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
    """Candidate positions k (a shot may start at frame k: pair k-1 failed) where the fit fails amid good fits."""
    q = fit_quality(track)  # [N-1]
    cuts = []
    for i in range(len(q)):
        around = np.concatenate([q[max(0, i - FIT_NEIGHBOURS) : i], q[i + 1 : i + 1 + FIT_NEIGHBOURS]])
        if len(around) >= 2 and q[i] < FIT_FAIL_MAX and np.median(around) > FIT_NEIGHBOURS_MIN:
            cuts.append(i + 1)
    return cuts


def _match_inliers(
    g0: np.ndarray, g1: np.ndarray, detector: cv2.Feature2D, norm: int, homography: bool
) -> tuple[int, int]:
    """(fewest keypoints of the two frames, RANSAC inliers of ratio-tested matches) for gray [h, w] uint8 frames."""
    k0, d0 = detector.detectAndCompute(g0, None)
    k1, d1 = detector.detectAndCompute(g1, None)
    if d0 is None or d1 is None:
        return 0, 0
    pairs = cv2.BFMatcher(norm).knnMatch(d0, d1, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < 5:
        return min(len(k0), len(k1)), len(good)
    a = np.float32([k0[m.queryIdx].pt for m in good])  # [M, 2]
    b = np.float32([k1[m.trainIdx].pt for m in good])  # [M, 2]
    px = MATCH_RANSAC_PX * g0.shape[1] / 320.0
    if homography:
        model, inliers = cv2.findHomography(a, b, cv2.RANSAC, px)
    else:
        model, inliers = cv2.estimateAffinePartial2D(a, b, method=cv2.RANSAC, ransacReprojThreshold=px)
    return min(len(k0), len(k1)), 0 if model is None else int(inliers.sum())


def unrelated(g0: np.ndarray, g1: np.ndarray) -> bool:
    """True when gray frames g0, g1 [h, w] uint8 are textured and neither ORB nor SIFT matches link them."""
    g0, g1 = stretch_dark(g0, g1)
    kp, inl = _match_inliers(g0, g1, cv2.ORB_create(ORB_FEATURES, fastThreshold=10), cv2.NORM_HAMMING, False)
    if kp < MIN_KEYPOINTS or inl > ORB_MAX_INLIERS:
        return False
    kp, inl = _match_inliers(g0, g1, cv2.SIFT_create(SIFT_FEATURES), cv2.NORM_L2, True)
    return kp >= MIN_KEYPOINTS and inl <= SIFT_MAX_INLIER_FRACTION * kp


def _merge(positions: list[int], min_gap: int) -> list[int]:
    out: list[int] = []
    for k in sorted(set(positions)):
        if not out or k - out[-1] >= min_gap:
            out.append(k)
    return out


def detect_cuts(frames: AnalysisFrames, track: MotionTrack) -> list[int]:
    """Source frame indices where a new shot starts (the first sampled frame after each cut)."""
    if len(frames) < 2:
        return []
    content = {k + d for k in content_cuts(frames) for d in (-1, 0, 1)}  # detectors may report a frame late
    candidates = sorted(k for k in content | set(fit_failure_cuts(track)) if 0 < k < len(frames))
    confirmed = [k for k in candidates if unrelated(frames.gray[k - 1], frames.gray[k])]
    return [int(frames.indices[k]) for k in _merge(confirmed, _shot_frames(frames))]


def split_spans(
    num_frames: int,
    cuts: list[int],
    fps: float,
    min_s: float = 3.0,
    max_s: float = 15.0,
    trim_s: float = 0.3,
) -> list[tuple[int, int]]:
    """[start, end) source-frame spans: shots cut at `cuts`, trimmed by trim_s per end, split to <= max_s, >= min_s kept."""
    bounds = [0] + sorted({int(c) for c in cuts if 0 < c < num_frames}) + [int(num_frames)]
    trim = int(round(trim_s * fps))
    min_len = int(np.ceil(min_s * fps - 1e-9))
    max_len = max(1, int(np.floor(max_s * fps + 1e-9)))
    spans: list[tuple[int, int]] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        start, end = a + trim, b - trim
        length = end - start
        if length < min_len:
            continue
        pieces = int(np.ceil(length / max_len))
        edges = [start + (length * i) // pieces for i in range(pieces + 1)]
        spans.extend((s, e) for s, e in zip(edges[:-1], edges[1:], strict=True) if e - s >= min_len)
    return spans
