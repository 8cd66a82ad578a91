"""The signed-gradient cue for faint static marks, on a rendered street walk written to H.264 by the test."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wpdata.filters import overlay, overlay_persistence
from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import estimate_motion
from wpdata.filters.overlay import detect_overlays, persistence_map
from wpdata.filters.overlay_signed import signed_gradient_t
from wpdata.video import write_mp4

BOX = (40, 20, 280, 60)  # x0, y0, x1, y1 px of the mark's text at 320x180


def _faint_mark(frames: np.ndarray, opacity: float) -> np.ndarray:
    """Thin near-white text blended at `opacity`, as the defects set draws its watermarks."""
    m = np.zeros(frames.shape[1:3], np.uint8)
    cv2.putText(m, "STOCK WALK", (BOX[0], BOX[3] - 8), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 255, 1, cv2.LINE_AA)
    a = (m.astype(np.float32) / 255.0 * opacity)[None, :, :, None]  # [1, H, W, 1]
    return np.clip(frames * (1 - a) + 235.0 * a + 0.5, 0, 255).astype(np.uint8)


def _decode(tmp_path: Path, frames: np.ndarray, name: str):
    path = write_mp4(tmp_path / name, frames, fps=15, threads=1)
    a = sample_frames(path, analysis_fps=6.0, width=320, skip_nonref=True, chroma=True)
    return a.gray, a.chroma, estimate_motion(a.gray)


def _overlaps(box: list[float], w: int = 320, h: int = 180) -> bool:
    x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    return min(x1, BOX[2]) > max(x0, BOX[0]) and min(y1, BOX[3]) > max(y0, BOX[1])


def test_faint_mark_on_a_walk_is_found_and_the_clean_walk_gives_no_region(
    tmp_path: Path, walking_frames: np.ndarray
) -> None:
    gray, chroma, track = _decode(tmp_path, _faint_mark(walking_frames, 0.15), "mark.mp4")
    res = detect_overlays(gray, track, chroma)
    found = [b for b, k in zip(res.boxes, res.kinds, strict=True) if k in ("watermark", "logo")]
    assert any(_overlaps(b) for b in found), (res.boxes, res.kinds)
    assert res.evidence >= 0.45
    gray, chroma, track = _decode(tmp_path, walking_frames, "clean.mp4")
    clean = detect_overlays(gray, track, chroma)
    assert clean.boxes == [] and clean.evidence == 0.0, (clean.boxes, clean.kinds)


def test_a_mark_too_faint_for_the_pair_evidence_alone_is_found_with_the_signed_cue(
    tmp_path: Path, walking_frames: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # opacity 0.08: at 0.10 the per-pixel pass alone gave 0.45-0.48 (write_mp4's bytes varied before manifests.h264)
    gray, chroma, track = _decode(tmp_path, _faint_mark(walking_frames, 0.08), "mark.mp4")
    monkeypatch.setattr(overlay, "FAINT_PASS", False)  # the per-pixel pass alone (not `overlay_faint`)
    monkeypatch.setattr(overlay_persistence, "SIGNED_CUE", False)
    without = detect_overlays(gray, track, chroma)
    assert without.evidence < 0.45, (without.boxes, without.evidences)  # below decide's default
    monkeypatch.setattr(overlay_persistence, "SIGNED_CUE", True)
    res = detect_overlays(gray, track, chroma)
    found = [b for b, k in zip(res.boxes, res.kinds, strict=True) if k in ("watermark", "logo")]
    assert any(_overlaps(b) for b in found) and res.evidence >= 0.45, (res.boxes, res.evidences)
    inside = np.zeros(gray.shape[1:], bool)
    inside[BOX[1] : BOX[3], BOX[0] : BOX[2]] = True
    signed = signed_gradient_t(gray.astype(np.float32), list(range(len(gray))))  # [h, w]
    pair_t = np.maximum.reduce(persistence_map(gray, track, chroma).parts)  # [h, w]
    assert (signed[inside] > overlay.HOT_T).sum() > 2 * (pair_t[inside] > overlay.HOT_T).sum()


def test_fewer_than_three_frames_give_no_signed_evidence() -> None:
    planes = np.random.default_rng(0).uniform(0, 255, (4, 36, 64)).astype(np.float32)
    assert not signed_gradient_t(planes, [0, 1]).any()
    assert signed_gradient_t(planes, [0, 1, 2, 3]).shape == (36, 64)


@pytest.fixture(autouse=True)
def _cue_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlay_persistence, "SIGNED_CUE", True)
