"""Static overlay detection on real H.264 clips written by the test: a camera panning over a texture."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import estimate_motion
from wpdata.filters.overlay import MIN_PAIRS, T_FLOOR, OverlayResult, detect_overlays, persistence_map
from wpdata.filters.overlay_cues import cue_regions
from wpdata.video import write_mp4

W, H, T = 320, 180, 24
LOGO_BOX = (230, 14, 306, 44)  # x0, y0, x1, y1 px


def _pan_frames(step: float = 5.0, seed: int = 0, n: int = T) -> np.ndarray:
    """A camera panning right/down over a textured plane: [n, H, W, 3] uint8."""
    rng = np.random.default_rng(seed)
    big_w, big_h = W + int(step * n) + 8, H + int(step * n / 3) + 8
    base = cv2.resize(rng.uniform(0, 255, (big_h // 8, big_w // 8)).astype(np.float32), (big_w, big_h))
    base += cv2.resize(rng.uniform(-40, 40, (big_h // 2, big_w // 2)).astype(np.float32), (big_w, big_h))
    for _ in range(40):  # some shapes give the tracker corners
        x, y = int(rng.integers(0, big_w - 30)), int(rng.integers(0, big_h - 30))
        cv2.rectangle(
            base,
            (x, y),
            (x + int(rng.integers(8, 30)), y + int(rng.integers(8, 30))),
            float(rng.uniform(0, 255)),
            -1,
        )
    base = np.clip(base, 0, 255).astype(np.uint8)
    frames = []
    for t in range(n):
        x, y = int(round(step * t)), int(round(step * t / 3))
        frames.append(np.repeat(base[y : y + H, x : x + W, None], 3, axis=2))
    return np.stack(frames)  # [T, H, W, 3] uint8


def _blend(frames: np.ndarray, mask: np.ndarray, colour: float, opacity: float) -> np.ndarray:
    a = (mask.astype(np.float32) / 255.0 * opacity)[None, :, :, None]  # [1, H, W, 1]
    return np.clip(frames * (1 - a) + colour * a + 0.5, 0, 255).astype(np.uint8)


def _logo_mask() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    x0, y0, x1, y1 = LOGO_BOX
    cv2.circle(m, (x0 + 14, (y0 + y1) // 2), 12, 255, 2, cv2.LINE_AA)
    cv2.putText(m, "TV", (x0 + 32, y1 - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 255, 2, cv2.LINE_AA)
    return m


def _analyse(tmp_path: Path, frames: np.ndarray) -> OverlayResult:
    path = write_mp4(tmp_path / "clip.mp4", frames, fps=6, threads=1)
    gray = sample_frames(path, analysis_fps=6.0, width=W).gray  # [T, H, W] uint8
    return detect_overlays(gray, estimate_motion(gray))


def _overlaps(box: list[float], px_box: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = box[0] * W, box[1] * H, box[2] * W, box[3] * H
    return min(x1, px_box[2]) > max(x0, px_box[0]) and min(y1, px_box[3]) > max(y0, px_box[1])


def test_faint_logo_is_found_where_it_is(tmp_path: Path) -> None:
    res = _analyse(tmp_path, _blend(_pan_frames(), _logo_mask(), 240.0, 0.20))
    found = [b for b, k in zip(res.boxes, res.kinds, strict=True) if k in ("watermark", "logo")]
    assert any(_overlaps(b, LOGO_BOX) for b in found), (res.boxes, res.kinds)
    assert res.evidence >= 0.5
    assert 0.0 < res.area_fraction < 0.1
    assert res.mask.shape == (H, W) and res.mask[30, 260]


def test_faint_mark_over_a_calm_area_is_a_watermark_and_a_panel_is_hud(tmp_path: Path) -> None:
    frames = _pan_frames().astype(np.float32)  # [T, H, W, 3]
    calm = frames[:, :60, :200]  # a calm patch (sky-like): a fifth of the texture's variation
    frames[:, :60, :200] = calm.mean() + 0.2 * (calm - calm.mean())
    faint = _blend(
        np.clip(frames, 0, 255).astype(np.uint8), _text_mask((12, 14, 190, 50), "SAMPLE"), 240.0, 0.3
    )
    res = _analyse(tmp_path, faint)
    kinds = [k for b, k in zip(res.boxes, res.kinds, strict=True) if _overlaps(b, (12, 14, 190, 50))]
    assert kinds and set(kinds) <= {"watermark", "logo"}, (res.boxes, res.kinds)
    panel = np.zeros((H, W), np.uint8)
    cv2.rectangle(panel, (200, 70), (280, 140), 255, -1)  # a translucent (opacity 0.7) UI panel
    res = _analyse(tmp_path, _blend(_pan_frames(), panel, 40.0, 0.7))
    kinds = [k for b, k in zip(res.boxes, res.kinds, strict=True) if _overlaps(b, (200, 70, 280, 140))]
    assert kinds and set(kinds) <= {"hud", "logo"}, (res.boxes, res.kinds)


def _text_mask(box: tuple[int, int, int, int], text: str) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cv2.putText(m, text, (box[0], box[3] - 6), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 255, 2, cv2.LINE_AA)
    return m


def _colour(frames: np.ndarray) -> np.ndarray:
    """The gray pan tinted brick red: [T, H, W, 3] uint8."""
    tinted = frames * np.array([1.0, 0.55, 0.4]) + np.array([30.0, 20.0, 15.0])
    return np.clip(tinted, 0, 255).astype(np.uint8)


def _chroma_mark(frames: np.ndarray, mask: np.ndarray, strength: float) -> np.ndarray:
    """A mark that shifts colour towards blue at constant luma (BT.601): invisible in gray."""
    d = np.array([0.0, -strength * 0.114 / 0.587, strength])  # dY = 0
    a = (mask.astype(np.float32) / 255.0)[None, :, :, None]  # [1, H, W, 1]
    return np.clip(frames + a * d + 0.5, 0, 255).astype(np.uint8)


def test_colour_only_mark_needs_the_chroma_planes(tmp_path: Path) -> None:
    box = (150, 120, 310, 170)
    frames = _chroma_mark(_colour(_pan_frames()), _text_mask(box, "TRAVEL"), 70.0)
    path = write_mp4(tmp_path / "clip.mp4", frames, fps=6, threads=1)
    a = sample_frames(path, analysis_fps=6.0, width=W, skip_nonref=True, chroma=True)
    track = estimate_motion(a.gray)
    gray_only = detect_overlays(a.gray, track)
    with_chroma = detect_overlays(a.gray, track, a.chroma)
    assert not any(_overlaps(b, box) for b in gray_only.boxes), gray_only.boxes
    found = [
        b for b, k in zip(with_chroma.boxes, with_chroma.kinds, strict=True) if k in ("watermark", "logo")
    ]
    assert any(_overlaps(b, box) for b in found), (with_chroma.boxes, with_chroma.kinds)
    assert with_chroma.evidence >= 0.45
    clean = sample_frames(
        write_mp4(tmp_path / "c.mp4", _colour(_pan_frames()), fps=6, threads=1), chroma=True
    )
    res = detect_overlays(clean.gray, estimate_motion(clean.gray), clean.chroma)
    assert res.evidence < 0.45 and res.area_fraction < 0.01, (res.boxes, res.kinds)


def test_a_strip_along_the_frame_edge_is_not_an_overlay(tmp_path: Path) -> None:
    frames = _pan_frames()
    # a static line hugging the top edge (an encoder or crop artifact, a ceiling edge)
    frames[:, 1:3, 40:200] = 250
    res = _analyse(tmp_path, frames)
    assert not any(b[1] < 0.03 and b[3] < 0.06 for b in res.boxes), (res.boxes, res.kinds)
    frames[:, 12:14, 40:200] = 250  # the same line 12 px in from the edge is a fixed mark
    res = _analyse(tmp_path, frames)
    assert any(b[1] < 0.08 and b[3] < 0.12 for b in res.boxes), (res.boxes, res.kinds)


def test_clean_pan_has_no_overlay(tmp_path: Path) -> None:
    res = _analyse(tmp_path, _pan_frames())
    assert res.area_fraction < 0.01
    assert res.evidence < 0.5
    assert "watermark" not in res.kinds and "hud" not in res.kinds


def test_changing_subtitles_are_subtitles(tmp_path: Path) -> None:
    frames = _pan_frames(seed=1)
    lines = ["Where are we going", "Over the bridge now", "Keep walking ahead"]
    for t in range(T):
        line = lines[(t // 8) % len(lines)]  # a new cue every 8 frames (1.3 s at 6 fps)
        (tw, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        org = ((W - tw) // 2, H - 12)
        cv2.putText(frames[t], line, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(frames[t], line, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    res = _analyse(tmp_path, frames)
    subs = [b for b, k in zip(res.boxes, res.kinds, strict=True) if k == "subtitles"]
    assert subs, (res.boxes, res.kinds)
    assert all(b[1] > 0.6 for b in subs)  # in the bottom band
    assert "watermark" not in res.kinds


def _burn_line(frame: np.ndarray, line: str) -> None:
    (tw, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
    org = ((W - tw) // 2, H - 12)
    cv2.putText(frame, line, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(frame, line, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)


def test_short_cues_in_a_long_shot_are_found_by_the_windowed_pass(tmp_path: Path) -> None:
    n = 40  # 6.7 s at 6 fps: text for 1.7 s, none for 4 s, text for 1 s
    frames = _pan_frames(step=3.0, seed=2, n=n)
    clean_path = write_mp4(tmp_path / "clean.mp4", frames.copy(), fps=6, threads=1)
    for t in range(n):
        if t < 10 or t >= 34:
            _burn_line(frames[t], "Where are we going" if t < 10 else "Keep walking")
    gray = sample_frames(write_mp4(tmp_path / "cues.mp4", frames, fps=6, threads=1), analysis_fps=6.0).gray
    pm = persistence_map(gray, estimate_motion(gray))
    core = np.ones(gray.shape[1:], bool)
    cues = cue_regions(pm.evidence, pm.valid, core, T_FLOOR, MIN_PAIRS)
    assert len(cues) == 1 and cues[0].box[1] > 0.7 and abs((cues[0].box[0] + cues[0].box[2]) / 2 - 0.5) < 0.1
    res = detect_overlays(gray, estimate_motion(gray))
    assert "subtitles" in res.kinds and res.evidence >= 0.45, (res.boxes, res.kinds)
    clean = sample_frames(clean_path, analysis_fps=6.0).gray
    pm = persistence_map(clean, estimate_motion(clean))
    assert cue_regions(pm.evidence, pm.valid, core, T_FLOOR, MIN_PAIRS) == []


def test_letterbox_bars_are_their_own_kind(tmp_path: Path) -> None:
    frames = _pan_frames(seed=2)
    frames[:, :22] = 0
    frames[:, H - 22 :] = 0
    res = _analyse(tmp_path, frames)
    bars = [b for b, k in zip(res.boxes, res.kinds, strict=True) if k == "letterbox"]
    assert len(bars) == 2, (res.boxes, res.kinds)
    assert sorted(round(b[1] * H) for b in bars) == [0, H - 22]
    assert res.area_fraction < 0.01  # bars are not overlays that cost a clip
    assert res.mask[:20].all() and res.mask[-20:].all()


def test_static_camera_gives_no_evidence(tmp_path: Path) -> None:
    still = np.repeat(_pan_frames()[:1], T, axis=0)
    res = _analyse(tmp_path, _blend(still, _logo_mask(), 240.0, 0.30))
    assert res.area_fraction == 0.0
    assert res.evidence == 0.0
    assert not res.mask.any()


def test_real_static_camera_is_not_an_overlay() -> None:
    root = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"
    folder = root / "euroc_v101_micro" / "mav0" / "cam0" / "data"
    if not folder.is_dir():
        pytest.skip(f"real data not present at {folder}")
    gray = sample_frames(folder, analysis_fps=6.0, width=320, source_fps=20.0).gray
    res = detect_overlays(gray, estimate_motion(gray))
    assert res.area_fraction == 0.0
    assert res.evidence < 0.5


def test_softness_tells_a_sharp_overlay_from_a_blurred_edge() -> None:
    from wpdata.filters.overlay import _softness

    rng = np.random.default_rng(3)
    scene = cv2.GaussianBlur(rng.uniform(0, 255, (12, 180, 320)).astype(np.float32), (0, 0), 4.0)  # defocused
    text = np.zeros((180, 320), np.float32)
    cv2.putText(text, "WATERMARK", (100, 100), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255.0, 1, cv2.LINE_AA)
    edges = (np.hypot(*np.gradient(text)) > 20) & (text < 250)  # [h, w] the strokes' edge pixels
    box = (95, 80, 125, 28)
    sharp = np.clip(scene + 0.6 * text, 0, 255).astype(np.uint8)  # [N, h, w] composited after the lens
    soft = cv2.GaussianBlur(sharp.transpose(1, 2, 0), (0, 0), 4.0).transpose(2, 0, 1)  # blurred with it
    assert _softness(sharp, edges, box) < 0.5
    assert _softness(soft, edges, box) > 0.7
