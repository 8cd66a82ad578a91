"""PoseTrack validation and the npz round trip of save_track / load_track."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.poses import PoseTrack, load_track, save_track
from wpdata.synth import intrinsics, pose_from_yaw_pitch


def _track(T: int = 5, **kw) -> PoseTrack:
    eye = np.column_stack([np.linspace(0, 2, T), np.zeros(T), np.full(T, 1.6)])
    c2w = pose_from_yaw_pitch(eye, np.linspace(0, 0.3, T), np.zeros(T))  # [T, 4, 4]
    K = np.broadcast_to(intrinsics(64, 48), (T, 3, 3))
    reg = np.arange(T) % 2 == 0
    return PoseTrack(c2w, K, 64, 48, "colmap", reg, **kw)


def test_round_trip_keeps_arrays_and_scalars(tmp_path: Path) -> None:
    tr = _track(registered_fraction=0.75, reproj_error=0.4, track_length=9.5, median_depth=3.0, mapper="global",
                rot_agreement_deg=0.2, rot_agreement_high_deg=np.inf)  # fmt: skip
    tr.scale, tr.scale_rule = 0.5, "median_depth"
    out = save_track(tmp_path / "a" / "t.npz", tr)
    back = load_track(out)
    np.testing.assert_allclose(back.c2w, tr.c2w, atol=1e-6)
    np.testing.assert_allclose(back.K, tr.K, rtol=1e-6)
    np.testing.assert_array_equal(back.registered, tr.registered)
    assert (back.width, back.height, back.source) == (64, 48, "colmap")
    assert back.registered_fraction == pytest.approx(0.75) and back.reproj_error == pytest.approx(0.4)
    assert back.track_length == pytest.approx(9.5) and back.median_depth == pytest.approx(3.0)
    assert (back.scale, back.scale_rule) == (0.5, "median_depth")
    assert back.mapper == "global" and back.rot_agreement_deg == pytest.approx(0.2)
    assert back.rot_agreement_high_deg == np.inf
    with np.load(out) as z:
        assert z["c2w"].dtype == np.float32 and z["K"].dtype == np.float32 and z["registered"].dtype == bool


def test_missing_quality_round_trips_as_none(tmp_path: Path) -> None:
    back = load_track(save_track(tmp_path / "t.npz", _track()))
    assert back.registered_fraction is None and back.reproj_error is None and back.median_depth is None
    assert back.mapper is None and back.rot_agreement_deg is None
    assert back.scale == 1.0 and back.scale_rule == "none"


def test_bad_shapes_are_refused() -> None:
    tr = _track()
    with pytest.raises(ValueError, match="K must be"):
        PoseTrack(tr.c2w, tr.K[:3], 64, 48, "colmap", tr.registered)
    with pytest.raises(ValueError, match="registered"):
        PoseTrack(tr.c2w, tr.K, 64, 48, "colmap", tr.registered[:2])
    bad = tr.c2w.copy()
    bad[1, 0, 3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        PoseTrack(bad, tr.K, 64, 48, "colmap", tr.registered)


def test_load_names_the_file_when_not_a_track(tmp_path: Path) -> None:
    p = tmp_path / "other.npz"
    np.savez(p, c2w=np.eye(4)[None])
    with pytest.raises(ValueError, match=r"other\.npz.*missing key"):
        load_track(p)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"junk\.npz.*unreadable"):
        load_track(junk)
