"""Global camera motion between consecutive analysis frames: a similarity per pair, fitted directly.

Per pair (i, i+1): Shi-Tomasi corners in frame i (outside `mask`), pyramidal Lucas-Kanade flow to
frame i+1 with a forward-backward check, then `cv2.estimateAffinePartial2D` with RANSAC. The
transform is estimated directly between the two frames compared (never chained), so drift and a
static overlay cannot accumulate. A pair whose fit is poor (too few tracks, few inliers, e.g. across
a hard cut or in a featureless frame) is marked unreliable; where no fit exists at all it gets the
identity. Dark pairs are contrast-stretched with one shared gain first, so LK still sees texture.
"""

from __future__ import annotations

import functools
from concurrent.futures import Executor
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "MotionTrack",
    "PairFit",
    "centre_shift",
    "compose_similarity",
    "estimate_motion",
    "motion_track",
    "estimate_pair",
    "global_shift",
    "similarity_shift",
    "stretch_dark",
]

MAX_CORNERS = 160
QUALITY = 0.01
MIN_DISTANCE = 7
LK_WIN = (15, 15)
LK_LEVELS = 3
REF_WIDTH = 320.0  # pixel thresholds below are for frames this wide and scale with the width
FB_MAX_PX = 1.5  # forward-backward disagreement above this drops a track
RANSAC_PX = 2.0  # inlier threshold (parallax of a near scene costs a similarity fit ~1-2 px)
MIN_POINTS = 12
MIN_INLIER_RATIO = 0.4
MIN_GUIDED_SHIFT = 12.0  # px (at 320 wide): a phase-correlation shift this large may restart LK
GUIDED_AGREE_PX = 6.0  # ... unless the plain fit moves the frame centre within this of the shift
DARK_P99 = 96  # pairs whose 99th-percentile level is below this are contrast-stretched together

_LK_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.03)


@dataclass
class MotionTrack:
    """Per-pair similarity fits of a frame sequence (N frames -> N-1 pairs), at analysis scale."""

    A: np.ndarray  # [N-1, 2, 3] float64, maps frame i pixel coords to frame i+1
    dx: np.ndarray  # [N-1] float64 px, displacement of the frame centre
    dy: np.ndarray  # [N-1] float64 px
    angle_deg: np.ndarray  # [N-1] float64, rotation of the similarity (image coords, y down)
    log_scale: np.ndarray  # [N-1] float64, log of the zoom factor
    inlier_ratio: np.ndarray  # [N-1] float64, RANSAC inliers / tracked points
    n_points: np.ndarray  # [N-1] int64, points tracked through the forward-backward check
    residual_px: np.ndarray  # [N-1] float64, median fit error over all tracked points
    reliable: np.ndarray  # [N-1] bool

    def __len__(self) -> int:
        return int(self.dx.shape[0])


@dataclass
class PairFit:
    """The similarity fit of one frame pair (what `estimate_pair` returns)."""

    A: np.ndarray  # [2, 3] float64
    inlier_ratio: float
    n_points: int
    residual_px: float
    reliable: bool


def compose_similarity(B: np.ndarray, A: np.ndarray) -> np.ndarray:
    """The similarity [2, 3] applying A [2, 3] then B [2, 3]."""
    return np.hstack([B[:, :2] @ A[:, :2], (B[:, :2] @ A[:, 2] + B[:, 2])[:, None]])


def centre_shift(A: np.ndarray, w: int | float, h: int | float) -> np.ndarray:
    """Displacement (px) of the frame centre under similarities A [..., 2, 3]: [..., 2]."""
    centre = np.array([(w - 1) / 2.0, (h - 1) / 2.0])  # [2]
    return A[..., :2] @ centre + A[..., 2] - centre


def similarity_shift(A: np.ndarray, w: int | float, h: int | float) -> float:
    """Mean displacement (px) of the frame centre and corners under the similarity A [2, 3]."""
    pts = np.array([[w / 2, h / 2], [0, 0], [w, 0], [0, h], [w, h]], np.float64)  # [5, 2]
    moved = pts @ A[:, :2].T + A[:, 2]
    return float(np.linalg.norm(moved - pts, axis=1).mean())


def _fail(n_points: int = 0, residual: float = np.inf) -> PairFit:
    return PairFit(np.eye(2, 3), 0.0, n_points, residual, False)


def stretch_dark(g0: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale both frames by one gain when they are dark, so corners and LK see usable contrast."""
    p99 = float(np.percentile(g0[::4, ::4], 99))
    if p99 >= DARK_P99:
        return g0, g1
    gain = 200.0 / max(p99, 8.0)
    return cv2.convertScaleAbs(g0, alpha=gain), cv2.convertScaleAbs(g1, alpha=gain)


def _lk_fit(g0: np.ndarray, g1: np.ndarray, p0: np.ndarray, px: float, shift: np.ndarray | None) -> PairFit:
    """LK tracks of corners p0 [K, 1, 2] float32 from g0 to g1 (started at p0 + shift [2] when given),
    forward-backward checked, and their RANSAC similarity."""
    flags = 0 if shift is None else cv2.OPTFLOW_USE_INITIAL_FLOW
    guess = None if shift is None else (p0 + shift.astype(np.float32)).copy()
    p1, st, _ = cv2.calcOpticalFlowPyrLK(
        g0, g1, p0, guess, winSize=LK_WIN, maxLevel=LK_LEVELS, criteria=_LK_CRITERIA, flags=flags
    )
    back = None if shift is None else (p1 - shift.astype(np.float32)).copy()
    p0b, stb, _ = cv2.calcOpticalFlowPyrLK(
        g1, g0, p1, back, winSize=LK_WIN, maxLevel=LK_LEVELS, criteria=_LK_CRITERIA, flags=flags
    )
    fb = np.linalg.norm((p0b - p0).reshape(-1, 2), axis=1)  # [K]
    good = (st.ravel() == 1) & (stb.ravel() == 1) & (fb < FB_MAX_PX * px)
    a = p0.reshape(-1, 2)[good].astype(np.float64)  # [M, 2]
    b = p1.reshape(-1, 2)[good].astype(np.float64)  # [M, 2]
    if len(a) < MIN_POINTS:
        return _fail(len(a))
    A, inliers = cv2.estimateAffinePartial2D(
        a, b, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX * px, maxIters=500, confidence=0.99
    )
    if A is None:
        return _fail(len(a))
    err = np.linalg.norm(a @ A[:, :2].T + A[:, 2] - b, axis=1)  # [M]
    ratio = float(inliers.sum()) / len(a)
    reliable = ratio >= MIN_INLIER_RATIO and int(inliers.sum()) >= MIN_POINTS
    return PairFit(A.astype(np.float64), ratio, len(a), float(np.median(err)), reliable)


@functools.lru_cache(maxsize=8)
def _hanning(w: int, h: int) -> np.ndarray:
    return cv2.createHanningWindow((w, h), cv2.CV_32F)  # [h, w] float32


def global_shift(g0: np.ndarray, g1: np.ndarray) -> np.ndarray:
    """Dominant image translation [2] (px, x then y) from g0 to g1 by phase correlation (cv2.phaseCorrelate)
    at half resolution: a starting point for LK, so +-2 px is plenty and it costs a quarter."""
    h, w = g0.shape[0] // 2, g0.shape[1] // 2
    a = cv2.resize(g0, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    b = cv2.resize(g1, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    (sx, sy), _ = cv2.phaseCorrelate(a, b, _hanning(w, h))
    return np.array([2.0 * sx, 2.0 * sy], np.float64)


def estimate_pair(g0: np.ndarray, g1: np.ndarray, mask: np.ndarray | None = None) -> PairFit:
    """Similarity from g0 [h, w] uint8 to g1 [h, w] uint8 (corners taken outside `mask` [h, w] bool).

    When the phase-correlation shift is large and the plain LK fit failed or disagrees with it, the
    corners are tracked again from that shift and the fit with more inliers is kept: a fast turn moves
    the picture further (80-130 px per step at 6 fps, 90-135 deg/s) than the LK pyramid reaches, and plain LK
    then either loses the points or keeps the ones in flat areas where they were (a "reliable" zero).
    """
    px = g0.shape[1] / REF_WIDTH
    g0, g1 = stretch_dark(g0, g1)
    feat_mask = None if mask is None else (~mask).astype(np.uint8) * 255  # [h, w] uint8, 255 = usable
    p0 = cv2.goodFeaturesToTrack(
        g0, MAX_CORNERS, QUALITY, MIN_DISTANCE, mask=feat_mask, blockSize=7
    )  # [K, 1, 2] float32 or None
    if p0 is None or len(p0) < MIN_POINTS:
        return _fail(0 if p0 is None else len(p0))
    fit = _lk_fit(g0, g1, p0, px, None)
    shift = global_shift(g0, g1)
    if np.hypot(*shift) < MIN_GUIDED_SHIFT * px:
        return fit  # within the LK pyramid's reach: the plain fit stands
    moved = centre_shift(fit.A, g0.shape[1], g0.shape[0])  # [2] the plain fit's shift of the centre
    if fit.reliable and np.hypot(*(moved - shift)) < GUIDED_AGREE_PX * px:
        return fit
    guided = _lk_fit(g0, g1, p0, px, shift)
    if guided.reliable and (
        not fit.reliable or guided.inlier_ratio * guided.n_points > fit.inlier_ratio * fit.n_points
    ):
        return guided
    return fit


def _pair_at(gray: np.ndarray, mask: np.ndarray | None, i: int) -> PairFit:
    return estimate_pair(gray[i], gray[i + 1], mask)


def estimate_motion(
    gray: np.ndarray, mask: np.ndarray | None = None, pool: Executor | None = None
) -> MotionTrack:
    """Camera motion of gray [N, h, w] uint8 frames, pair by pair; `mask` [h, w] bool excludes pixels.
    With `pool`, pairs are fitted on its threads (OpenCV releases the GIL; each pair's fit is the same)."""
    n, h, w = gray.shape
    fit = functools.partial(_pair_at, gray, mask)
    steps = range(max(0, n - 1))
    return motion_track(list(pool.map(fit, steps)) if pool is not None else [fit(i) for i in steps], w, h)


def motion_track(pairs: list[PairFit], w: int, h: int) -> MotionTrack:
    """The MotionTrack of consecutive pairs' fits (frames of `w` x `h` px)."""
    A = np.stack([p.A for p in pairs]) if pairs else np.zeros((0, 2, 3))  # [N-1, 2, 3]
    moved = centre_shift(A, w, h)  # [N-1, 2]
    return MotionTrack(
        A=A,
        dx=moved[:, 0].copy(),
        dy=moved[:, 1].copy(),
        angle_deg=np.degrees(np.arctan2(A[:, 1, 0], A[:, 0, 0])),
        log_scale=np.log(np.maximum(np.hypot(A[:, 0, 0], A[:, 1, 0]), 1e-9)),
        inlier_ratio=np.array([p.inlier_ratio for p in pairs], dtype=np.float64),
        n_points=np.array([p.n_points for p in pairs], dtype=np.int64),
        residual_px=np.array([p.residual_px for p in pairs], dtype=np.float64),
        reliable=np.array([p.reliable for p in pairs], dtype=bool),
    )
