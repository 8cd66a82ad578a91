"""motion_amount and shake_score on rendered clips: tripod ~0, shaky walk far above a smooth walk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.filters.frames import sample_frames
from wpdata.filters.motion import MotionTrack, estimate_motion
from wpdata.filters.shake import motion_amount, reliable_fraction, shake_score
from wpdata.video import write_mp4

EUROC = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata" / "euroc_v101_micro/mav0/cam0/data"


def _scores(tmp_path: Path, frames: np.ndarray, name: str) -> tuple[float, float, float]:
    a = sample_frames(write_mp4(tmp_path / f"{name}.mp4", frames, 15.0))
    track = estimate_motion(a.gray)
    return (
        motion_amount(track, a.times, a.gray.shape[2]),
        shake_score(track, a.times),
        reliable_fraction(track),
    )


def test_static_camera_has_near_zero_motion(tmp_path, static_frames, walking_frames):
    still, shake, rel = _scores(tmp_path, static_frames, "static")
    moving, _, _ = _scores(tmp_path, walking_frames, "walk")
    assert still < 0.02 and rel > 0.9 and shake < 0.5  # 0.02: the tuned static_camera threshold
    assert moving > 5 * still and moving > 0.03


def test_shaky_clip_scores_far_above_smooth_walk(tmp_path, shaky_frames, walking_frames):
    _, shaky, _ = _scores(tmp_path, shaky_frames, "shaky")
    _, smooth, _ = _scores(tmp_path, walking_frames, "smooth")
    assert shaky > 2.3 > smooth and shaky > 3 * smooth


def test_short_span_and_unreliable_tracks_are_gated(tmp_path, shaky_frames):
    a = sample_frames(write_mp4(tmp_path / "short.mp4", shaky_frames[:30], 15.0))  # 2 s
    track = estimate_motion(a.gray)
    assert shake_score(track, a.times) == 0.0
    track.reliable[:] = False
    assert np.isnan(motion_amount(track, a.times, 320)) and shake_score(track, a.times) == 0.0


def test_shake_that_defeats_most_fits_is_still_scored(tmp_path, shaky_frames):
    a = sample_frames(write_mp4(tmp_path / "shaky.mp4", shaky_frames, 15.0))
    track = estimate_motion(a.gray)
    keep = np.flatnonzero(track.reliable)
    track.reliable[:] = False
    n = int(np.ceil(0.2 * len(track)))  # a fifth of the pairs fitted, as strong jitter leaves
    track.reliable[keep[np.linspace(0, len(keep) - 1, n).round().astype(int)]] = True
    assert 0.15 <= reliable_fraction(track) < 0.25
    assert shake_score(track, a.times) > 2.3
    track.reliable[keep[1:]] = False  # almost nothing fitted: motion unknown, no score
    assert reliable_fraction(track) < 0.15 and shake_score(track, a.times) == 0.0


def test_euroc_standing_camera_is_static():
    if not EUROC.exists():
        pytest.skip(f"EuRoC micro sequence not present at {EUROC}")
    a = sample_frames(EUROC, source_fps=20.0)
    track = estimate_motion(a.gray)
    assert reliable_fraction(track) > 0.9
    assert motion_amount(track, a.times, a.gray.shape[2]) < 0.02


def _track(dx: np.ndarray) -> MotionTrack:
    """A track of pure horizontal shifts dx [M] px, every fit reliable."""
    A = np.repeat(np.eye(2, 3)[None], len(dx), 0)
    A[:, 0, 2] = dx
    z = np.zeros(len(dx))
    return MotionTrack(
        A, dx.astype(float), z, z, z, z + 1, (z + 50).astype(np.int64), z, np.ones(len(dx), bool)
    )


def test_motion_nets_tripod_jitter_but_not_a_steady_pan():
    times = np.arange(25) / 6.0  # 4 s at 6 fps
    jitter = _track(1.2 * np.where(np.arange(24) % 2 == 0, 1.0, -1.0))  # trembling in place
    pan = _track(np.full(24, 1.2))  # the same step size, always the same way
    assert motion_amount(jitter, times, 320, 180) < 0.005 < 0.02 < motion_amount(pan, times, 320, 180)
    assert motion_amount(pan, times, 320, 180) == pytest.approx(1.2 * 6 / 320, rel=1e-6)
    gappy = _track(np.full(24, 1.2))
    gappy.reliable[::3] = False  # no reliable 1 s window: the per-pair median is the fallback
    assert motion_amount(gappy, times, 320, 180) == pytest.approx(1.2 * 6 / 320, rel=1e-6)
