"""The window-count pass for faint marks (`overlay_faint`): on t maps, and on rendered walks in H.264."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.filters import overlay
from wpdata.filters.overlay import detect_overlays
from wpdata.filters.overlay_faint import FAINT_T, MIN_COUNT, faint_windows, window_evidence

from .test_overlay_signed import _decode, _faint_mark, _overlaps

H, W = 180, 320


def _marks(res) -> list[list[float]]:
    return [b for b, k in zip(res.boxes, res.kinds, strict=True) if k in ("watermark", "logo")]


def test_a_compact_cluster_of_modest_t_is_counted_and_scattered_peaks_are_not() -> None:
    rng = np.random.default_rng(0)
    t = np.zeros((H, W), np.float32)
    core = np.ones((H, W), bool)
    word = rng.choice(50 * 14, 60, replace=False)  # 60 stroke pixels in a 50 x 14 px word at (120, 80)
    t[80 + word // 50, 120 + word % 50] = FAINT_T + 0.5
    ys, xs = rng.integers(10, H - 10, 200), rng.integers(10, W - 10, 200)
    t[ys, xs] = np.maximum(t[ys, xs], 12.0)  # strong but scattered peaks: ~6 per window
    hot, area, count = faint_windows(t, core)
    assert area[87, 145] and count.max() >= MIN_COUNT
    assert not area[20, 20] and not area[150, 280]
    scattered = np.zeros((H, W), np.float32)
    scattered[ys, xs] = 12.0
    assert not faint_windows(scattered, core)[1].any()
    assert not faint_windows(t, core, null=(FAINT_T + 0.6) / 1.15)[1].any()  # a wide null lifts the level
    assert window_evidence(MIN_COUNT, H, W) == pytest.approx(0.5)


def test_faint_mark_at_012_on_a_walk_is_found_and_the_clean_walk_gives_no_region(
    tmp_path: Path, walking_frames: np.ndarray
) -> None:
    gray, chroma, track = _decode(tmp_path, _faint_mark(walking_frames, 0.12), "mark.mp4")
    res = detect_overlays(gray, track, chroma)
    assert any(_overlaps(b) for b in _marks(res)) and res.evidence >= 0.45, (res.boxes, res.evidences)
    gray, chroma, track = _decode(tmp_path, walking_frames, "clean.mp4")
    clean = detect_overlays(gray, track, chroma)
    assert clean.boxes == [] and clean.evidence == 0.0, (clean.boxes, clean.kinds)


def test_a_mark_lost_in_sensor_noise_is_found_by_the_window_count(
    tmp_path: Path, walking_frames: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sensor noise sigma 20, opacity 0.11: over 6 encodes (the H.264 bytes varied between writes before manifests.h264) the per-pixel
    # pass found nothing each time and the window count 0.77-0.78; at 0.12 the per-pixel pass gave 0.42-0.46
    noise = np.random.default_rng(0).normal(0.0, 20.0, walking_frames.shape).astype(np.float32)
    noisy = np.clip(_faint_mark(walking_frames, 0.11) + noise, 0, 255).astype(np.uint8)
    gray, chroma, track = _decode(tmp_path, noisy, "mark.mp4")
    monkeypatch.setattr(overlay, "FAINT_PASS", False)
    without = detect_overlays(gray, track, chroma)
    assert without.evidence < 0.45, (without.boxes, without.evidences)  # the per-pixel pass misses it
    monkeypatch.setattr(overlay, "FAINT_PASS", True)
    res = detect_overlays(gray, track, chroma)
    assert any(_overlaps(b) for b in _marks(res)) and res.evidence >= 0.45, (res.boxes, res.evidences)
    clean = np.clip(walking_frames + noise, 0, 255).astype(np.uint8)
    gray, chroma, track = _decode(tmp_path, clean, "clean.mp4")
    assert detect_overlays(gray, track, chroma).boxes == []
