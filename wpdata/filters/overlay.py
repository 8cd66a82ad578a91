"""Static screen-space overlays (watermarks, logos, HUD, burned-in subtitles, letterbox bars) in a moving shot.

Method (REFERENCE section 4): an overlay keeps its gradients at the same pixel while the camera moves
the background. For each consecutive pair (i, i+1) with a usable camera fit the per-pixel evidence is

    e_i(p) = g_i(p) . (g_{i+1}(p) - gpred_{i+1}(p))

where g are image gradients and gpred_{i+1} the gradients of frame i warped by the pair's similarity
(`MotionTrack.A`), i.e. the same frame's gradients shifted by the camera displacement. The fixed-pixel
persistence g_i . g_{i+1} of scene edges parallel to the motion and of smooth texture is matched by the
null g_i . gpred_{i+1} and cancels; an overlay stays put and does not cancel. A static camera makes the
null equal to the fixed term, so it gives no evidence (such pairs are skipped outright). Evidence is a
per-pixel t statistic over the pairs (computed in `overlay_persistence`), thresholded, cleaned with
morphology and split into connected components; `overlay_kinds` guesses each region's kind and finds
letterbox bars; `overlay_cues` adds subtitle lines whose cues cover too little of the shot for the
shot-wide statistic. Each region carries its
temporal std relative to the whole frame and (H6) to a ring of scene around its box, the local
reference an opacity estimate needs (an overlay of opacity a keeps 1 - a of the variation beneath it).

A second cue (H15, `overlay_signed`) serves faint marks: the per-pixel t of the temporal mean of SIGNED
gradients over the pairs' frames (Dekel et al. 2017), which keeps a fixed mark's gradient while a moving
scene's average out; it counts where the pair evidence leans the same way (t > SIGNED_GATE_T), which
keeps out scene edges that only the signed mean sees (a horizon or brick rows along the pan, blur).
Measured offline on the tuning seeds 101 / 4242 / 5151 (this pass on the pipeline's decode of each clip;
36 watermarks, 36 subtitle clips): watermark recall 33 -> 34, subtitles 33 -> 34, no new false region. The pass is written
here with OpenCV primitives because no library offers this fixed-versus-moving gradient test.

A third pass (H18, `overlay_faint`) runs only where the others found no confident region: it counts
the pixels of modest t in text-sized windows, so a faint word whose strokes sit near the clip's null
level, too low for the per-pixel thresholds, is found by how many such pixels it packs together.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

import cv2
import numpy as np

from wpdata.filters.motion import MotionTrack
from wpdata.filters.overlay_cues import cue_regions
from wpdata.filters.overlay_faint import faint_t, faint_windows, window_evidence
from wpdata.filters.overlay_kinds import Region, classify_regions, detect_letterbox, letterbox_boxes
from wpdata.filters.overlay_persistence import (
    CHROMA_WEIGHT,
    MIN_PAIRS,
    T_FLOOR,
    Persistence,
    _gradients,
    persistence_map,
)

__all__ = ["OverlayResult", "detect_overlays", "persistence_map"]

HOT_T = 4.5  # per-pixel t a region needs somewhere (its seed pixels) to be an overlay candidate
LOW_T = 3.0  # hysteresis: pixels above this joined to a seed count as the region's (faint marks)
NULL_K = 1.3  # ...unless the clip's own null is wider: LOW_T >= NULL_K x the 0.1th-percentile of -t
MIN_SEED_PX = 8  # seed pixels (t > HOT_T) a region needs
MIN_HOT_PX = 25  # hot pixels a region needs at 320x180 (scaled with the frame area)
CLOSE_PX = 7  # closing kernel joining text strokes into one region (at 320 px width)
BOX_PAD_PX = 2
BORDER_STRIP_PX = 6  # regions lying within this many px (at 320) of one frame edge are not overlays
MIN_REGION_EVIDENCE = 0.3  # regions weaker than this are not reported at all
SOFT_SIGMA = 2.0  # px (at 320): the blur whose effect on a region's edges measures their softness
SOFT_FRAMES = 12  # frames (evenly spread) the softness is measured on
SOFT_MIN_GRAD = 2.0  # gray levels per px: hot pixels with less gradient tell nothing of sharpness
RING_PX = 6  # width (at 320 px) of the ring around a region whose temporal std is the local reference
LOCAL_EPS = 2.0  # gray levels added to both stds of a local ratio (a calm or clipped scene tells nothing)
FAINT_PASS = True  # where nothing else was found, count modest t over text-sized windows (`overlay_faint`)
FAINT_UNLESS = 0.45  # ... "nothing": no region this confident (decide's default min_overlay_evidence)
FAINT_KINDS = ("watermark", "logo")  # kinds the faint pass adds (translucent marks; not HUD bars, subtitles)


@dataclass
class OverlayResult:
    """Static overlays found in a shot; area and evidence cover non-letterbox regions only."""

    mask: np.ndarray  # [h, w] bool, every region's box (letterbox bars included)
    area_fraction: float  # fraction of the frame inside non-letterbox overlay boxes
    boxes: list[list[float]] = field(default_factory=list)  # [x0, y0, x1, y1] normalised to [0, 1]
    kinds: list[str] = field(default_factory=list)  # one per box
    evidence: float = 0.0  # confidence of the strongest non-letterbox region, 0 = none
    evidences: list[float] = field(default_factory=list)  # one per box


def _spike(d: np.ndarray, scene_diff: np.ndarray) -> float:
    """Largest jump of the region's own frame-to-frame change over its typical level, both relative to
    the scene's change: a fixed overlay (or none) follows the scene, changing content (a new subtitle
    cue, a counter, a gauge) jumps in a few frames."""  # d [N-1, n] int16
    r = d.mean(axis=1) / scene_diff  # [N-1]
    return float(np.max(r) / (np.median(r) + 0.05))


def _null(parts: list[np.ndarray], core: np.ndarray) -> float:
    """The clip's own null spread: the 0.1th percentile of -t over the core, the widest of the t maps (the
    negative tail of their maximum would understate each map's own)."""
    nulls = [float(-np.percentile(p[core & (p != 0)], 0.1)) for p in parts if (core & (p != 0)).any()]
    return max(nulls, default=0.0)


Candidate = tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]  # (hot px, blob px, x/y/w/h box)


def _regions(pm: Persistence, t: np.ndarray, gray: np.ndarray, core: np.ndarray, null: float) -> list[Region]:
    """Connected regions of hot pixels, closed into blobs, with the statistics the kind guess needs."""
    h, w = t.shape
    k = max(3, int(round(CLOSE_PX * w / 320)) | 1)
    hot = t > max(LOW_T, NULL_K * null)  # [h, w] bool, hysteresis low level
    blob = cv2.morphologyEx(
        hot.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    line = np.ones((3, 3 * k), np.uint8)  # joins the words of one text line
    blob = cv2.morphologyEx(blob, cv2.MORPH_CLOSE, line)
    num, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=8)
    min_hot = MIN_HOT_PX * (h * w) / (320 * 180)
    strip = BORDER_STRIP_PX * w / 320
    candidates: list[Candidate] = []
    for c in range(1, num):
        x, y, bw, bh, _ = stats[c]
        if min(y + bh, h - y, x + bw, w - x) <= strip:
            continue  # a strip along the frame edge: scene edges there outrun the similarity (parallax)
        sel = (labels == c) & hot
        n_hot = int(sel.sum())
        if n_hot >= min_hot and int((t[sel] > HOT_T).sum()) >= MIN_SEED_PX:
            candidates.append((sel, labels == c, (int(x), int(y), int(bw), int(bh))))
    return _describe(candidates, t, pm.duty, gray, blob > 0)


def _faint_regions(
    pm: Persistence, gray: np.ndarray, core: np.ndarray, null: float
) -> list[tuple[Region, float]]:
    """(region, evidence) of each group of text-sized windows dense in modest t (`overlay_faint`)."""
    t = np.where(core, faint_t(pm.parts, pm.signed), 0.0).astype(np.float32)  # [h, w]
    h, w = t.shape
    hot, area, count = faint_windows(t, core, null)
    if not area.any():
        return []
    num, labels = cv2.connectedComponents(area.astype(np.uint8), connectivity=8)
    candidates: list[Candidate] = []
    peaks = []
    for c in range(1, num):
        comp = labels == c
        sel = comp & hot
        ys, xs = np.nonzero(sel)
        box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        candidates.append((sel, comp, box))
        peaks.append(float(count[comp].max()))
    regions = _describe(candidates, t, pm.duty, gray, area)
    return [(r, window_evidence(p, h, w)) for r, p in zip(regions, peaks, strict=True)]


def _softness(gray: np.ndarray, sel: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """How soft a region's edges are: the median share of their gradient left after a SOFT_SIGMA blur.

    An overlay is composited after the lens, so its edges stay sharp however defocused the picture is
    (a blur of 2 px leaves 0.14-0.48 of the gradient at the hot pixels of 50 overlays of seed 2027); a
    scene edge that merely stays put (a horizon, the foot of a wall) carries the picture's own blur
    (0.85-0.91 in its defocused clips; a blur of sigma s leaves s / sqrt(s^2 + 4) of a step's gradient).
    """
    h, w = sel.shape
    x, y, bw, bh = box
    s = SOFT_SIGMA * w / 320
    pad = int(np.ceil(3 * s)) + 1
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
    mask = sel[y0:y1, x0:x1]
    kept = []
    for f in gray[:: max(1, len(gray) // SOFT_FRAMES), y0:y1, x0:x1].astype(np.float32):
        g = np.hypot(*_gradients(f))  # [h, w] gray levels per px
        ok = mask & (g > SOFT_MIN_GRAD)
        if ok.any():
            kept.append(np.hypot(*_gradients(cv2.GaussianBlur(f, (0, 0), s)))[ok] / g[ok])
    return float(np.median(np.concatenate(kept))) if kept else 0.0


def _describe(
    candidates: list[Candidate], t: np.ndarray, duty: np.ndarray, gray: np.ndarray, blobs: np.ndarray
) -> list[Region]:
    """The statistics the kind guess needs of each candidate (`blobs` [h, w] bool: every candidate's blob)."""
    if not candidates:
        return []  # most clips: the per-frame statistics below are not needed
    h, w = t.shape
    min_hot = MIN_HOT_PX * (h * w) / (320 * 180)
    tstd = gray.std(axis=0)  # [h, w] float64 temporal std
    diff = np.abs(np.diff(gray.astype(np.int16), axis=0))  # [N-1, h, w] frame-to-frame change
    scene_diff = diff.reshape(len(diff), -1).mean(axis=1) + 1.0  # [N-1]
    scene_std = float(np.median(tstd)) + 1e-6
    others = cv2.dilate(blobs.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0  # every region and its edge
    ring_px = max(3, int(round(RING_PX * w / 320)))
    out = []
    for sel, blob, (x, y, bw, bh) in candidates:
        x0, y0 = max(0, x - BOX_PAD_PX), max(0, y - BOX_PAD_PX)
        x1, y1 = min(w, x + bw + BOX_PAD_PX), min(h, y + bh + BOX_PAD_PX)
        ring = np.zeros((h, w), bool)
        ring[max(0, y - ring_px) : y + bh + ring_px, max(0, x - ring_px) : x + bw + ring_px] = True
        ring[y0:y1, x0:x1] = False  # the scene around the box, not what it encloses
        ring &= ~others
        local = float(np.median(tstd[ring])) if ring.sum() >= min_hot else scene_std
        out.append(
            Region(
                box=(x0 / w, y0 / h, x1 / w, y1 / h),
                n_hot=int(sel.sum()),
                t_strength=float(np.percentile(t[sel], 90)),
                std_ratio=float(np.median(tstd[sel])) / scene_std,
                duty=float(np.median(duty[sel])),
                blob_std_ratio=float(np.median(tstd[blob])) / scene_std,
                spike=_spike(diff[:, sel], scene_diff),
                local_ratio=(float(np.median(tstd[sel])) + LOCAL_EPS) / (local + LOCAL_EPS),
                blob_local_ratio=(float(np.median(tstd[blob])) + LOCAL_EPS) / (local + LOCAL_EPS),
                box_local_ratio=(float(np.median(tstd[y : y + bh, x : x + bw])) + LOCAL_EPS)
                / (local + LOCAL_EPS),
                softness=_softness(gray, sel, (x, y, bw, bh)),
            )
        )
    return out


def _evidence(r: Region, h: int, w: int) -> float:
    """Confidence in [0, 1) of one region from its t strength and its size (hot pixels)."""
    size = r.n_hot / (MIN_HOT_PX * (h * w) / (320 * 180))
    return float(1.0 - np.exp(-(r.t_strength / 10.0) * min(size, 4.0) / 2.0))


def _overlaps(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> bool:
    """Whether two [x0, y0, x1, y1] boxes intersect."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def detect_overlays(
    gray: np.ndarray,
    track: MotionTrack,
    chroma: np.ndarray | None = None,
    chroma_weight: float = CHROMA_WEIGHT,
    pool: Executor | None = None,
) -> OverlayResult:
    """Static overlays in gray [N, h, w] uint8 analysis frames given their camera motion `track` (and the
    frames' (Cb, Cr) planes [N, h/2, w/2, 2], which add colour-only marks; see `persistence_map`)."""
    n, h, w = gray.shape
    mask = np.zeros((h, w), bool)
    pm = persistence_map(gray, track, chroma, chroma_weight, pool)
    t = pm.t
    if pm.used == 0:  # static camera or too few pairs: no evidence either way
        return OverlayResult(mask=mask, area_fraction=0.0)
    bars = detect_letterbox(gray)  # (top, bottom, left, right) px
    boxes, kinds, evid = [], [], []
    for box in letterbox_boxes(bars, w, h):
        boxes.append(list(box))
        kinds.append("letterbox")
        evid.append(1.0)
    top, bottom, left, right = bars
    edge = 3  # the bar's inner edge persists like an overlay; keep it out
    core = np.zeros((h, w), bool)
    core[
        top + edge * (top > 0) : h - bottom - edge * (bottom > 0),
        left + edge * (left > 0) : w - right - edge * (right > 0),
    ] = True
    t = np.where(core, t, 0.0).astype(np.float32)
    area = np.zeros((h, w), bool)
    null = _null(pm.parts, core)  # the clip's own null spread, for both passes' levels
    regions = _regions(pm, t, gray, core, null)
    for r, kind in zip(regions, classify_regions(regions), strict=True):
        if kind == "scene" or _evidence(r, h, w) < MIN_REGION_EVIDENCE:
            continue  # no overlay, or too weak to name a kind (the clip's evidence is its strongest region's)
        boxes.append(list(r.box))
        kinds.append(kind)
        evid.append(_evidence(r, h, w))
    found = [b for b, k in zip(boxes, kinds, strict=True) if k != "letterbox"]
    for r in cue_regions(pm.evidence, pm.valid, core, T_FLOOR, MIN_PAIRS):
        if any(_overlaps(r.box, b) for b in found) or _evidence(r, h, w) < MIN_REGION_EVIDENCE:
            continue  # the shot-wide pass saw this place: its kind stands
        boxes.append(list(r.box))
        kinds.append("subtitles")
        evid.append(_evidence(r, h, w))
    strongest = max((e for e, k in zip(evid, kinds, strict=True) if k != "letterbox"), default=0.0)
    if FAINT_PASS and strongest < FAINT_UNLESS:  # nothing (confident) found: faint marks (`overlay_faint`)
        faint = _faint_regions(pm, gray, core, null)
        for (r, e), kind in zip(faint, classify_regions([r for r, _ in faint]), strict=True):
            same = [i for i, b in enumerate(boxes) if kinds[i] != "letterbox" and _overlaps(r.box, b)]
            for i in same:  # a weak region found here: its kind stands, the window count may back it
                evid[i] = max(evid[i], e)
            if kind in FAINT_KINDS and not same:
                boxes.append(list(r.box))
                kinds.append(kind)
                evid.append(e)
    for box, kind in zip(boxes, kinds, strict=True):
        x0, y0, x1, y1 = (int(round(v)) for v in (box[0] * w, box[1] * h, box[2] * w, box[3] * h))
        mask[y0:y1, x0:x1] = True
        if kind != "letterbox":
            area[y0:y1, x0:x1] = True
    scored = [e for e, k in zip(evid, kinds, strict=True) if k != "letterbox"]
    return OverlayResult(
        mask=mask,
        area_fraction=float(area.mean()),
        boxes=boxes,
        kinds=kinds,
        evidence=max(scored, default=0.0),
        evidences=evid,
    )
