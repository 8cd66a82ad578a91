"""Camera-motion scores from a MotionTrack: how much the camera moves, and how shaky it is.

Shake is the per-step camera motion (vertical translation in percent of the frame width, roll in
degrees) that a ~2 s moving average does not explain: walking, tilting and slow turns are smooth over
2 s, jitter and a hand-held sway are not (REFERENCE section 4: 0.5 s windows miss the sway).
Horizontal motion is weighted by X_WEIGHT (0: measured on the tuning set, deliberate pans and fast
turns accelerate enough at ~6 fps to look like jitter, while shake always shows in roll and bob).
Frames are evenly spaced (`sample_frames` steps whole source frames), so steps compare directly.
Pairs with an unreliable fit take their motion from reliable neighbours; the score is gated (0.0)
when too few pairs are reliable or the span is too short to judge.

Rule change (H6): the reliability gate was 0.25 and is now 0.15, the fraction below which `decide`
drops a clip as "unreliable_motion" anyway, so no kept clip escapes the shake test. Strong jitter
defeats the fit itself (LK loses most points across a 5-10 degree jump), so a shaky clip was scored
0 exactly when it shook most (a 4 deg / 4 Hz clip had 0.17-0.20 reliable pairs and scores 5.6 without
the gate). On the tuning and validation sets the non-shake clips with 0.14-0.28 reliable pairs score
0.3-1.5, under max_shake 2.3: the gaps are filled from reliable neighbours, which is smooth.
"""

from __future__ import annotations

import numpy as np

from wpdata.filters.motion import MotionTrack, centre_shift, compose_similarity

__all__ = ["SHAKE_WINDOW_S", "motion_amount", "reliable_fraction", "shake_score"]

SHAKE_WINDOW_S = 2.0
MIN_SPAN_S = 3.0  # shorter spans get shake 0.0 (too short to tell a sway from a turn)
MIN_RELIABLE = 0.15  # fewer reliable pairs than this fraction -> shake 0.0 (= decide's min_motion_reliable)
MOTION_WINDOW_S = 1.0  # motion_amount nets the camera motion over windows this long
X_WEIGHT = 0.0  # horizontal motion is left out: pans and turns accelerate hard and look like jitter


def reliable_fraction(track: MotionTrack) -> float:
    """Fraction of frame pairs whose similarity fit is reliable (0.0 for an empty track)."""
    return float(track.reliable.mean()) if len(track) else 0.0


def _pair_dt(times: np.ndarray) -> np.ndarray:
    """Seconds between consecutive analysis frames: [N-1] float64 (at least 1 ms)."""
    return np.maximum(np.diff(np.asarray(times, np.float64)), 1e-3)


def _step_motion(A: np.ndarray, w: float, h: float) -> float:
    """|translation of the frame centre| / width + |rotation| (rad) + |zoom| of one similarity A [2, 3]."""
    shift = centre_shift(A, w, h)  # [2]
    scale = float(np.hypot(A[0, 0], A[1, 0]))
    return (
        float(np.hypot(*shift)) / w + abs(float(np.arctan2(A[1, 0], A[0, 0]))) + abs(np.log(max(scale, 1e-9)))
    )


def motion_amount(
    track: MotionTrack, times: np.ndarray, width: int | float, height: int | float | None = None
) -> float:
    """Camera motion per second: median over ~1 s windows of reliable pairs of the window's NET similarity
    (|translation| / width + |rotation| in rad + |zoom|) divided by the window's duration.

    About 0.0 for a camera on a tripod; 0.1 means a tenth of the frame width per second. Netting over a
    window (rule change, session 5) lets tripod jitter cancel: a fixed camera whose pose trembles
    (real image motion of ~1 px per frame at a wall 0.3 m away) moves back and forth, a walking or turning
    camera accumulates. Spans with no full reliable window fall back to the median per-pair motion.
    NaN when no pair is reliable (the motion is unknown, not zero).
    """
    if len(track) == 0 or not track.reliable.any():
        return float("nan")
    w = float(width)
    h = w * 9.0 / 16.0 if height is None else float(height)
    dt = _pair_dt(times)  # [N-1]
    windows = []
    for i in range(len(track)):
        A, span = np.eye(2, 3), 0.0
        for j in range(i, len(track)):
            if not track.reliable[j]:
                break
            A, span = compose_similarity(track.A[j], A), span + float(dt[j])
            if span >= MOTION_WINDOW_S - 1e-6:
                windows.append(_step_motion(A, w, h) / span)
                break
    if windows:
        return float(np.median(windows))
    per_pair = np.array([_step_motion(a, w, h) for a in track.A]) / dt  # [N-1]
    return float(np.median(per_pair[track.reliable]))


def _filled(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """values [M] with entries where not ok replaced by linear interpolation of the ok ones."""
    idx = np.arange(len(values))
    return np.interp(idx, idx[ok], values[ok])


def shake_score(track: MotionTrack, times: np.ndarray, width: int | float = 320) -> float:
    """RMS of vertical (percent of `width`) and roll (degrees) motion per analysis step left after a ~2 s moving
    average of the per-step motion; 0.0 when gated (span < 3 s or too few reliable pairs)."""
    times = np.asarray(times, np.float64)  # [N]
    n = len(track)
    if n < 3 or times[-1] - times[0] < MIN_SPAN_S or reliable_fraction(track) < MIN_RELIABLE:
        return 0.0
    ok = track.reliable
    step = float(times[-1] - times[0]) / n
    per_step = (step / _pair_dt(times))[:, None]  # [N-1, 1] rescales uneven steps (skip_nonref) to one step
    vel = per_step * np.stack(
        [
            X_WEIGHT * _filled(track.dx, ok) * 100.0 / float(width),
            _filled(track.dy, ok) * 100.0 / float(width),
            _filled(track.angle_deg, ok),
        ],
        axis=1,
    )  # [N-1, 3] motion per analysis step
    from scipy.ndimage import uniform_filter1d  # here: importing scipy.ndimage costs ~0.4 s per process

    win = max(3, int(round(SHAKE_WINDOW_S / step)) | 1)
    smooth = uniform_filter1d(vel, win, axis=0, mode="nearest")  # [N-1, 3]
    return float(np.sqrt(np.mean(np.sum((vel - smooth) ** 2, axis=1))))
