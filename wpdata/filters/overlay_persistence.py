"""Per-pixel persistence of a shot's gradients under camera motion: the evidence `overlay` thresholds.

For each usable frame pair (i, j) the evidence is e(p) = g_i . (g_j - gpred_j), where gpred_j are the
gradients of frame i warped by the pair's similarity (`MotionTrack.A`); a fixed overlay keeps its
gradients and does not cancel, the moving scene does. The per-pixel t statistic over the pairs (gray
plane, chroma planes, and the gated signed-gradient cue of `overlay_signed`) is what `overlay` turns
into regions; see that module's docstring for the method and its measurements. Written with OpenCV
primitives: no library offers this fixed-versus-moving gradient test.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

import cv2
import numpy as np

from wpdata.filters.motion import MotionTrack, compose_similarity, similarity_shift
from wpdata.filters.overlay_cues import evidence_t
from wpdata.filters.overlay_signed import signed_gradient_t

__all__ = ["Persistence", "persistence_map", "MIN_PAIRS", "T_FLOOR", "CHROMA_WEIGHT"]

MIN_SHIFT_PX = 1.5  # camera displacement (analysis px) below which a pair carries no evidence
MAX_GAP = 4  # frames a pair may span to reach MIN_SHIFT_PX on a slow camera
MIN_PAIRS = 3  # fewer usable pairs: no evidence at all (static camera, too short a shot)
T_FLOOR = 1.0  # added to the standard error (gray-level^2 units) so flat areas cannot reach high t
CHROMA_WEIGHT = 4.0  # weight of the chroma planes' evidence next to the gray plane's (scales T_FLOOR)
CHROMA_PAIR_STEP = 2  # chroma evidence from every 2nd pair: half its cost; colour-only marks of seed 9517
# kept their evidence (0.72 / 0.71 vs 0.68 / 0.75 from every pair)
CHROMA_MIN_PAIRS = 6  # the chroma t needs more pairs: smooth 4:2:0 planes make few-pair noise blob-shaped
RUN_PAIRS = 16  # pairs a pool thread takes at a time (runs of pairs share their frames' gradients)
SIGNED_CUE = True  # add `overlay_signed`'s t (the larger of it and the pair evidence's t counts)
SIGNED_GATE_T = 1.0  # ... at pixels whose pair-evidence t is above this
DUTY_E = 4.0  # per-pair evidence (gray level^2) above which a pixel counts as persisting in that pair


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
