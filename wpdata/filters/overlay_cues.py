"""Burned-in subtitle cues that the whole-shot persistence test dilutes: a windowed pass.

`overlay.persistence_map` pools evidence over every frame pair of a shot. A subtitle line is fixed on
screen only while its cue lasts; a shot whose cues cover a third of it (1.5 s of text, 2 s of none, a
0.5 s cue cut by the end trim) gives its pixels a diluted mean and a wide spread, and the shot-wide t
stays near the clip's null (measured on defects seed 9311, subtitles_0005: t 4.5 over the text, 3.0
elsewhere). Here the same per-pair evidence is pooled over short windows of consecutive pairs
(WINDOW_PAIRS, about 1 s at 6 fps, half-overlapping) and the per-pixel maximum over windows is kept.
That maximum has a heavy noise tail (6 pairs estimate a spread poorly), so it is trusted only where
subtitles live and with their shape: a wide text line in the bottom band, centred, with many hot pixels
(thresholds below, measured on seeds 9311 and 404: clean clips give no such region at all, cue lines
376-3404 hot pixels). A region found here is reported only where the shot-wide pass found nothing
(see `overlay.detect_overlays`), so a static bottom mark keeps the kind the shot-wide pass gave it.
Plain numpy + OpenCV: no library offers a windowed fixed-versus-moving gradient test.
"""

from __future__ import annotations

import cv2
import numpy as np

from wpdata.filters.overlay_kinds import SUBTITLE_CENTRE, Region

__all__ = ["cue_regions", "evidence_t", "windowed_t"]

WINDOW_PAIRS = 6  # consecutive usable pairs per window (~1 s at 6 analysis fps; 8 missed 1 s cues: 3 of
# 48 subtitle clips on 4 seeds, 1 with 6, no new false region on their 336 other moving clips)
MIN_WINDOWS = 2  # fewer full windows: the shot-wide pass already sees every window
BAND_TOP = 0.7  # cue lines sit below this fraction of the frame height
MIN_ASPECT = 2.0  # ... text lines (one or two): box width >= this x height
HOT_T = 4.5  # windowed t of a hot pixel
SEED_T = 8.0  # windowed t of a seed pixel
MIN_SEEDS = 8
MIN_HOT_PX = 200  # hot pixels at 320x180 (scaled with the frame area)


def evidence_t(evidence: np.ndarray, valid: np.ndarray, t_floor: float, min_pairs: int) -> np.ndarray:
    """Per-pixel t statistic [h, w] float32 of per-pair evidence [P, h, w] over its valid [P, h, w] pairs:
    mean / (standard error + t_floor), 0 where fewer than `min_pairs` pairs are valid (the shot-wide
    statistic of `overlay.persistence_map` and each window's here)."""
    cnt = valid.sum(axis=0, dtype=np.float32)  # [h, w]
    c = np.maximum(cnt, 1)
    mean = evidence.sum(axis=0) / c
    var = np.maximum((evidence * evidence).sum(axis=0) / c - mean**2, 0.0)
    t = mean / (np.sqrt(var / c) + t_floor)
    t[cnt < min_pairs] = 0.0
    return t.astype(np.float32)


def windowed_t(evidence: np.ndarray, valid: np.ndarray, t_floor: float, min_pairs: int) -> np.ndarray:
    """Per-pixel maximum over half-overlapping windows of WINDOW_PAIRS pairs of the evidence t statistic.

    evidence [P, h, w] float32 and valid [P, h, w] bool as in `overlay.Persistence`; returns [h, w].
    """
    p, h, w = evidence.shape
    out = np.zeros((h, w), np.float32)
    for s in range(0, p - WINDOW_PAIRS + 1, WINDOW_PAIRS // 2):
        sl = slice(s, s + WINDOW_PAIRS)
        np.maximum(out, evidence_t(evidence[sl], valid[sl], t_floor, min_pairs), out=out)
    return out


def cue_regions(
    evidence: np.ndarray, valid: np.ndarray, core: np.ndarray, t_floor: float, min_pairs: int
) -> list[Region]:
    """Subtitle-line regions of the windowed pass inside core [h, w] bool (the picture without bars)."""
    p, h, w = evidence.shape
    if p < WINDOW_PAIRS * (MIN_WINDOWS + 1) // 2:
        return []
    tw = windowed_t(evidence, valid, t_floor, min_pairs)  # [h, w]
    band = np.zeros((h, w), bool)
    band[int(BAND_TOP * h) :, :] = True
    hot = (tw > HOT_T) & band & core
    k = max(3, int(round(7 * w / 320)) | 1)
    blob = cv2.morphologyEx(
        hot.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    blob = cv2.morphologyEx(blob, cv2.MORPH_CLOSE, np.ones((3, 3 * k), np.uint8))
    num, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=8)
    min_hot = MIN_HOT_PX * (h * w) / (320 * 180)
    out = []
    for c in range(1, num):
        x, y, bw, bh, _ = stats[c]
        sel = (labels == c) & hot
        n_hot = int(sel.sum())
        centred = abs((x + bw / 2) / w - 0.5) < SUBTITLE_CENTRE  # cue lines are centred
        if (
            n_hot < min_hot
            or int((tw[sel] > SEED_T).sum()) < MIN_SEEDS
            or bw < MIN_ASPECT * bh
            or not centred
        ):
            continue
        x0, y0, x1, y1 = max(0, x - 2), max(0, y - 2), min(w, x + bw + 2), min(h, y + bh + 2)
        out.append(
            Region(
                box=(x0 / w, y0 / h, x1 / w, y1 / h),
                n_hot=n_hot,
                t_strength=float(np.percentile(tw[sel], 90)),
                std_ratio=1.0,
            )
        )
    return out
