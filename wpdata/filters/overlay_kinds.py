"""Kinds of static overlay regions (a guess from position, shape and opacity) and letterbox bars.

Letterbox / pillarbox bars carry no gradients inside, so the persistence test of `overlay` cannot see
them; they are found here as dark rows / columns at the frame edges that stay uniform in every frame.
Plain numpy rules: no library classifies overlay regions by layout.

Opacity is judged against a LOCAL reference (rule change, H6): an overlay of opacity a keeps (1 - a) of
the scene's temporal variation at its place, so a region is an opaque panel (HUD, minimap, solid logo)
when the temporal std over its bounding box is well below that of a ring of scene around it
(`Region.box_local_ratio` < OPAQUE_BOX_RATIO). The earlier reference, the whole frame's median std,
called faint watermarks opaque wherever the local scene was calmer than the frame (sky, ground) and
missed translucent panels over busy texture. The box (not the hot pixels) is used because text strokes
cover a small part of their box (a text watermark stays near 1 whatever its opacity) while a panel
fills most of its box; measured on the tuning sets: watermarks 0.76-1.12, minimaps 0.28-0.47.
A region whose hot pixels vary more than the ring around them (`local_ratio` > CHANGING_LOCAL_RATIO)
has content of its own that changes (a subtitle cue); translucent static marks stay below 1.
Position and shape cues are kept: bars along an edge are HUD at any opacity, changing text in the
bottom-centre band is subtitles (at any width: a long cue line spans the frame and touches its bottom
edge; seed 2027's was read as a HUD bar while lines were capped at 0.9 of the width), a lone small opaque
corner element is a logo. A region whose edges are as soft as a defocused picture's (`Region.softness`,
measured in `overlay`) is a scene edge that stays put, not an overlay: overlays are drawn after the lens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Region", "classify_region", "classify_regions", "detect_letterbox", "letterbox_boxes"]

OPAQUE_BOX_RATIO = 0.6  # box temporal std / ring std below this: the overlay hides the scene (a >~ 0.4)
CHANGING_STD_RATIO = 1.15  # hot-pixel temporal std / the frame's median above this: the overlay changes
CHANGING_LOCAL_RATIO = 1.15  # ... or / the ring's above this (cues over a calm part of the picture)
SUBTITLE_CENTRE = 0.08  # subtitles are centred: |box centre x - 0.5| below this (frame widths); cue
# lines on the tuning sets sat within 0.035, a corner mark anchored at a side margin reaches this only
# when wider than ~0.75 of the frame (seed 9973's bottom-left watermark: 0.13, read as subtitles at 0.15)
SOFT_EDGES = 0.7  # softness above this: edges as blurred as the picture's, a scene edge (overlays: <= 0.48)
SCENE_LOCAL_RATIO = 1.5  # hot-pixel std / the ring's above this, off the subtitle band and not an opaque
# panel or edge bar: the scene itself (translucent static marks keep 1 - a of the variation beneath: 0.70-
# 1.24 over 24 watermarks of seeds 101 / 4242; the one such region there, 1.79, lay in a subtitles clip)
CHANGE_SPIKE = 3.5  # region change jumping this far above its typical level: new content (a cue)
BAR_MIN_CONTRAST = 15.0  # a bar is darker than the picture's median level by at least this
BAR_MIN_FRAC = 0.04  # letterbox bar thickness at least this fraction of the frame side
BAR_MAX_LEVEL = 50.0  # bars are dark: mean gray level below this
BAR_UNIFORM = 0.95  # fraction of a bar row's pixels that must be uniform and still
BAR_STILL_STD = 3.0  # temporal std (gray levels) of a still pixel
BAR_TOLERANCE = 8.0  # gray levels a bar pixel may differ from the bar's median


@dataclass
class Region:
    """One candidate overlay region at analysis scale."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 normalised to [0, 1]
    n_hot: int  # pixels above the persistence threshold
    t_strength: float  # 90th percentile of the persistence t statistic over those pixels
    std_ratio: float  # median temporal std at the hot pixels / median temporal std of the frame
    duty: float = 1.0  # median fraction of pairs in which the hot pixels persisted
    blob_std_ratio: float = 1.0  # as std_ratio over the whole closed region (strokes and what lies between)
    spike: float = 1.0  # largest jump of the region's own change over its typical level (scene-relative)
    local_ratio: float = 1.0  # median temporal std at the hot pixels / that of a ring around the region
    blob_local_ratio: float = 1.0  # as local_ratio over the whole closed region
    box_local_ratio: float = 1.0  # as local_ratio over the region's whole bounding box
    softness: float = 0.0  # share of the hot pixels' gradient a 2 px blur leaves (overlay.SOFT_SIGMA)


def classify_region(r: Region) -> str:
    """'subtitles' | 'hud' | 'watermark' for one region from where it sits, its shape and opacity; 'scene'
    for a region that is no overlay."""
    x0, y0, x1, y1 = r.box
    bw, bh = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # the overlay's own content changes (cues come and go): its pixels jump in a few frames, or vary more
    # than the scene does; an opaque panel (box std well below the ring's) is UI, not text over the picture
    changing = (
        r.spike >= CHANGE_SPIKE or r.std_ratio > CHANGING_STD_RATIO or r.local_ratio > CHANGING_LOCAL_RATIO
    )
    if r.softness > SOFT_EDGES:
        return "scene"  # overlays are drawn after the lens: they stay sharp in a defocused picture
    opaque = r.box_local_ratio < OPAQUE_BOX_RATIO
    bottom_centre = cy > 0.7 and abs(cx - 0.5) < SUBTITLE_CENTRE and bh < 0.3
    if bottom_centre and changing and not opaque:
        return "subtitles"  # changing text in the bottom-centre band
    edge_bar = (bw > 0.6 and (y0 < 0.03 or y1 > 0.97)) or (bh > 0.6 and (x0 < 0.03 or x1 > 0.97))
    if edge_bar or opaque:
        return "hud"  # bars along an edge, or opaque panels / minimaps hiding the scene
    if r.local_ratio > SCENE_LOCAL_RATIO:
        return "scene"  # varies far more than the scene around it: no overlay at all
    return "watermark"


def classify_regions(regions: list[Region]) -> list[str]:
    """Kinds of a clip's regions: each region's guess, then made consistent across the clip.

    UI comes in sets: once a clip shows a HUD element, its other fixed non-subtitle elements (score
    counters, gauges) are HUD too. A lone small opaque element near a corner is a channel logo.
    """
    kinds = [classify_region(r) for r in regions]
    marks = [r for r, k in zip(regions, kinds, strict=True) if k != "scene"]
    if (
        "hud" in kinds
        and any(_is_logo(r) for r in marks)
        and sum(k not in ("subtitles", "scene") for k in kinds) == 1
    ):
        return ["logo" if k == "hud" else k for k in kinds]
    if "hud" in kinds:
        return ["hud" if k == "watermark" else k for k in kinds]
    return kinds


def _is_logo(r: Region) -> bool:
    x0, y0, x1, y1 = r.box
    bw, bh = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    aspect = max(bw / max(bh, 1e-6), bh / max(bw, 1e-6))
    return bw * bh < 0.02 and min(cx, 1 - cx) < 0.3 and min(cy, 1 - cy) < 0.3 and aspect < 4.0


def _bar_run(mean: np.ndarray, std: np.ndarray, picture: float) -> int:
    """Rows from the top of mean/std [h, w] that form one dark, uniform, still bar (0 if too thin)."""
    h = mean.shape[0]
    max_level = min(BAR_MAX_LEVEL, picture - BAR_MIN_CONTRAST)
    run = 0
    level = None
    for y in range(h // 3):
        row_m, row_s = mean[y], std[y]
        med = float(np.median(row_m)) if level is None else level
        ok = (np.abs(row_m - med) < BAR_TOLERANCE) & (row_s < BAR_STILL_STD)
        if med > max_level or ok.mean() < BAR_UNIFORM:
            break
        level = med
        run = y + 1
    return run if run >= BAR_MIN_FRAC * h else 0


def detect_letterbox(gray: np.ndarray) -> tuple[int, int, int, int]:
    """Letterbox / pillarbox bar thickness in px (top, bottom, left, right) of gray [N, h, w] uint8 frames."""
    f = gray.astype(np.float32)
    mean, std = f.mean(axis=0), f.std(axis=0)  # [h, w]
    h, w = mean.shape
    picture = float(np.median(mean[h // 4 : h - h // 4, w // 4 : w - w // 4]))
    top = _bar_run(mean, std, picture)
    bottom = _bar_run(mean[::-1], std[::-1], picture)
    left = _bar_run(mean.T, std.T, picture)
    right = _bar_run(mean.T[::-1], std.T[::-1], picture)
    return top, bottom, left, right


def letterbox_boxes(
    bars: tuple[int, int, int, int], w: int, h: int
) -> list[tuple[float, float, float, float]]:
    """Normalised boxes (x0, y0, x1, y1) of the non-empty bars (top, bottom, left, right) in px."""
    top, bottom, left, right = bars
    out = []
    if top:
        out.append((0.0, 0.0, 1.0, top / h))
    if bottom:
        out.append((0.0, 1.0 - bottom / h, 1.0, 1.0))
    if left:
        out.append((0.0, 0.0, left / w, 1.0))
    if right:
        out.append((1.0 - right / w, 0.0, 1.0, 1.0))
    return out
