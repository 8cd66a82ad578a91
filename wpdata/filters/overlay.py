"""Static screen-space overlays (watermarks, logos, HUD, burned-in subtitles, letterbox bars) in a moving shot.

Method (REFERENCE section 4): an overlay keeps its gradients at the same pixel while the camera moves
the background. For each consecutive pair (i, i+1) with a usable camera fit the per-pixel evidence is

    e_i(p) = g_i(p) . (g_{i+1}(p) - gpred_{i+1}(p))

where g are image gradients and gpred_{i+1} the gradients of frame i warped by the pair's similarity
(`MotionTrack.A`), i.e. the same frame's gradients shifted by the camera displacement. The fixed-pixel
persistence g_i . g_{i+1} of scene edges parallel to the motion and of smooth texture is matched by the
null g_i . gpred_{i+1} and cancels; an overlay stays put and does not cancel. A static camera makes the
null equal to the fixed term, so it gives no evidence (such pairs are skipped outright). Evidence is a
per-pixel t statistic over the pairs, thresholded, cleaned with morphology and split into connected
components; `overlay_kinds` guesses each region's kind and finds letterbox bars; `overlay_cues` adds subtitle
lines whose cues cover too little of the shot for the shot-wide statistic. Each region carries its
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

from wpdata.filters.motion import MotionTrack, compose_similarity, similarity_shift
from wpdata.filters.overlay_cues import cue_regions, evidence_t
from wpdata.filters.overlay_faint import faint_t, faint_windows, window_evidence
from wpdata.filters.overlay_kinds import Region, classify_regions, detect_letterbox, letterbox_boxes
from wpdata.filters.overlay_signed import signed_gradient_t

__all__ = ["OverlayResult", "detect_overlays", "persistence_map"]

MIN_SHIFT_PX = 1.5  # camera displacement (analysis px) below which a pair carries no evidence
MAX_GAP = 4  # frames a pair may span to reach MIN_SHIFT_PX on a slow camera
MIN_PAIRS = 3  # fewer usable pairs: no evidence at all (static camera, too short a shot)
T_FLOOR = 1.0  # added to the standard error (gray-level^2 units) so flat areas cannot reach high t
HOT_T = 4.5  # per-pixel t a region needs somewhere (its seed pixels) to be an overlay candidate
LOW_T = 3.0  # hysteresis: pixels above this joined to a seed count as the region's (faint marks)
NULL_K = 1.3  # ...unless the clip's own null is wider: LOW_T >= NULL_K x the 0.1th-percentile of -t
MIN_SEED_PX = 8  # seed pixels (t > HOT_T) a region needs
MIN_HOT_PX = 25  # hot pixels a region needs at 320x180 (scaled with the frame area)
CLOSE_PX = 7  # closing kernel joining text strokes into one region (at 320 px width)
BOX_PAD_PX = 2
BORDER_STRIP_PX = 6  # regions lying within this many px (at 320) of one frame edge are not overlays
MIN_REGION_EVIDENCE = 0.3  # regions weaker than this are not reported at all
RING_PX = 6  # width (at 320 px) of the ring around a region whose temporal std is the local reference
LOCAL_EPS = 2.0  # gray levels added to both stds of a local ratio (a calm or clipped scene tells nothing)
CHROMA_WEIGHT = 4.0  # weight of the chroma planes' evidence next to the gray plane's (scales T_FLOOR)
CHROMA_PAIR_STEP = 2  # chroma evidence from every 2nd pair: half its cost; colour-only marks of seed 9517
# kept their evidence (0.72 / 0.71 vs 0.68 / 0.75 from every pair)
CHROMA_MIN_PAIRS = 6  # the chroma t needs more pairs: smooth 4:2:0 planes make few-pair noise blob-shaped
RUN_PAIRS = 16  # pairs a pool thread takes at a time (runs of pairs share their frames' gradients)
SIGNED_CUE = True  # add `overlay_signed`'s t (the larger of it and the pair evidence's t counts)
SIGNED_GATE_T = 1.0  # ... at pixels whose pair-evidence t is above this
FAINT_PASS = True  # where nothing else was found, count modest t over text-sized windows (`overlay_faint`)
FAINT_UNLESS = 0.45  # ... "nothing": no region this confident (decide's default min_overlay_evidence)
FAINT_KINDS = ("watermark", "logo")  # kinds the faint pass adds (translucent marks; not HUD bars, subtitles)
DUTY_E = 4.0  # per-pair evidence (gray level^2) above which a pixel counts as persisting in that pair


@dataclass
class OverlayResult:
    """Static overlays found in a shot; area and evidence cover non-letterbox regions only."""

    mask: np.ndarray  # [h, w] bool, every region's box (letterbox bars included)
    area_fraction: float  # fraction of the frame inside non-letterbox overlay boxes
    boxes: list[list[float]] = field(default_factory=list)  # [x0, y0, x1, y1] normalised to [0, 1]
    kinds: list[str] = field(default_factory=list)  # one per box
    evidence: float = 0.0  # confidence of the strongest non-letterbox region, 0 = none
    evidences: list[float] = field(default_factory=list)  # one per box


def _gradients(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel gradients in gray levels per pixel."""  # img [h, w] float32 -> 2 x [h, w] float32
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return gx, gy


def _pairs(track: MotionTrack, w: int, h: int) -> list[tuple[int, int, np.ndarray]]:
    """(i, j, A_ij) frame pairs carrying evidence: from each frame i, the nearest later frame j (at most
    MAX_GAP steps) that the camera moved at least MIN_SHIFT_PX away from, through fitted pairs only.
    Slow pans and orbits so still give pairs; the transform is the product of the fitted steps."""
    fitted = [track.reliable[i] or not np.allclose(track.A[i], np.eye(2, 3)) for i in range(len(track))]
    out = []
    for i in range(len(track)):
        A = np.eye(2, 3)
        for j in range(i, min(i + MAX_GAP, len(track))):
            if not fitted[j]:
                break
            A = compose_similarity(track.A[j], A)
            if similarity_shift(A, w, h) >= MIN_SHIFT_PX:
                out.append((i, j + 1, A))
                break
    return out


@dataclass
class Persistence:
    """Per-pixel persistence statistics of a shot (see `persistence_map`)."""

    t: np.ndarray  # [h, w] float32 t statistic of fixed-minus-shifted gradient persistence
    duty: np.ndarray  # [h, w] float32 fraction of pairs in which the pixel persisted
    evidence: np.ndarray  # [P, h, w] float32 per-pair evidence (0 where not predicted)
    valid: np.ndarray  # [P, h, w] bool, pixel predicted from inside the first frame of the pair
    times: np.ndarray  # [P] float64 mid-pair frame index
    parts: list[np.ndarray] = field(default_factory=list)  # [h, w] pair-evidence t maps (gray, chroma)
    signed: np.ndarray | None = None  # [h, w] float32 gated signed-gradient t; `t` = max(*parts, signed)

    @property
    def used(self) -> int:
        return int(self.evidence.shape[0])


def _upsampled(chroma: np.ndarray, w: int, h: int) -> list[np.ndarray]:
    """(Cb, Cr) planes [N, h/2, w/2, 2] uint8 upsampled to the gray size: 2 x [N, h, w] float32 (single-
    channel OpenCV filters are faster than their multi-channel forms here)."""
    up = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) for c in chroma])  # [N, h, w, 2]
    return [np.ascontiguousarray(up[..., k], dtype=np.float32) for k in range(2)]


def _pair_evidence(
    planes: np.ndarray, i: int, j: int, A: np.ndarray, grads: dict[int, tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """g_i . (g_j - gpred_j) of one pair: [h, w] float32 of planes [N, h, w] float32 (`grads` caches each
    frame's gradients)."""
    h, w = planes.shape[1:3]
    for f in (i, j):
        if f not in grads:
            grads[f] = _gradients(planes[f])
    (g0x, g0y), (g1x, g1y) = grads[i], grads[j]
    pred = cv2.warpAffine(planes[i], A, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    px, py = _gradients(pred)
    np.subtract(g1x, px, out=px)  # in place: temporaries cost more than the filters
    np.multiply(px, g0x, out=px)
    np.subtract(g1y, py, out=py)
    np.multiply(py, g0y, out=py)
    px += py
    return px


def persistence_map(
    gray: np.ndarray,
    track: MotionTrack,
    chroma: np.ndarray | None = None,
    chroma_weight: float = CHROMA_WEIGHT,
    pool: Executor | None = None,
) -> Persistence:
    """Per-pair evidence e(p) = g_i . (g_j - gpred_j) of the usable pairs and its per-pixel t statistic.

    With `chroma` ([N, h/2, w/2, 2] Cb, Cr), the same evidence of the two chroma planes, upsampled to the
    gray size (at their half resolution the warp's interpolation loss biases the test) and scaled by
    `chroma_weight`, gets a t statistic of its own, and each pixel keeps the larger of the two: a mark that
    differs from the scene in colour only (blue text on red brick) has no gray gradients, and a gray mark
    keeps its own t (a summed evidence would add the chroma planes' noise to it). `evidence` and `duty`
    stay the gray plane's. With `pool`, runs of pairs are computed on its threads (same values).
    """
    n, h, w = gray.shape
    pairs = _pairs(track, w, h)
    if len(pairs) < MIN_PAIRS:
        z = np.zeros((h, w), np.float32)
        return Persistence(z, z, np.zeros((0, h, w), np.float32), np.zeros((0, h, w), bool), np.zeros(0))
    use_chroma = chroma is not None and chroma_weight > 0 and len(chroma) == n
    planes = gray.astype(np.float32)  # [N, h, w]
    cplanes = _upsampled(chroma, w, h) if use_chroma else []  # 2 x [N, h, w] float32
    ones = np.ones((h, w), np.float32)
    kernel = np.ones((3, 3), np.uint8)
    ev = np.zeros((len(pairs), h, w), np.float32)  # gray plane
    chroma_pairs = list(range(0, len(pairs), CHROMA_PAIR_STEP)) if use_chroma else []
    evc = np.zeros((len(chroma_pairs), h, w), np.float32)  # chroma planes, every CHROMA_PAIR_STEP-th pair
    va = np.zeros((len(pairs), h, w), bool)

    def fill(ks: range) -> None:  # pairs ks into their own rows of ev / evc / va (own gradient caches)
        grads: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        cgrads: list[dict[int, tuple[np.ndarray, np.ndarray]]] = [{} for _ in cplanes]
        for k in ks:
            i, j, A = pairs[k]
            valid = cv2.warpAffine(ones, A, (w, h), borderValue=0) > 0.999
            va[k] = cv2.erode(valid.astype(np.uint8), kernel) > 0  # predicted from inside frame i
            ev[k] = cv2.blur(_pair_evidence(planes, i, j, A, grads), (3, 3))
            ev[k][~va[k]] = 0.0
            if cplanes and k % CHROMA_PAIR_STEP == 0:
                kc = k // CHROMA_PAIR_STEP
                ec = sum(_pair_evidence(c, i, j, A, g) for c, g in zip(cplanes, cgrads, strict=True))
                evc[kc] = cv2.blur(chroma_weight * ec, (3, 3))
                evc[kc][~va[k]] = 0.0

    frames = sorted({f for i, j, _ in pairs for f in (i, j)})  # the signed cue's frames: the pairs' own
    signed_job = pool.submit(signed_gradient_t, planes, frames) if pool is not None and SIGNED_CUE else None
    if pool is None:
        fill(range(len(pairs)))
    else:  # runs of consecutive pairs, so each run's gradient cache serves its pairs' shared frames
        list(
            pool.map(
                fill, [range(a, min(a + RUN_PAIRS, len(pairs))) for a in range(0, len(pairs), RUN_PAIRS)]
            )
        )
    parts = [evidence_t(ev, va, T_FLOOR, MIN_PAIRS)]  # [h, w] float32 each
    if use_chroma:
        parts.append(evidence_t(evc, va[chroma_pairs], T_FLOOR, CHROMA_MIN_PAIRS))
    if SIGNED_CUE:  # faint marks: the temporal mean of signed gradients (`overlay_signed`)
        signed = signed_job.result() if signed_job is not None else signed_gradient_t(planes, frames)
        signed[np.maximum.reduce(parts) <= SIGNED_GATE_T] = 0.0  # the pair evidence must lean the same way
    else:
        signed = np.zeros((h, w), np.float32)
    t = np.maximum.reduce([*parts, signed])
    c = np.maximum(va.sum(axis=0, dtype=np.float32), 1)  # [h, w] valid pairs per pixel
    duty = (ev > DUTY_E).sum(axis=0) / c
    times = np.array([(i + j) / 2 for i, j, _ in pairs], np.float64)
    return Persistence(t, duty.astype(np.float32), ev, va, times, parts, signed)


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
