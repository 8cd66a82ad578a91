"""estimate_motion recovers known similarities, ignores masked pixels and flags unrelated frames."""

from __future__ import annotations

import cv2
import numpy as np

from wpdata.filters.motion import estimate_motion

CW, CH = 320, 180  # crop size the motion is estimated on


def _warped_pair(
    frame: np.ndarray, shift: tuple[float, float], angle_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two crops of a gray frame, the second warped by a similarity about the crop centre: [2, CH, CW] uint8."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)  # [H, W] uint8
    big = cv2.resize(gray, (gray.shape[1] * 2, gray.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
    x0, y0 = (big.shape[1] - CW) // 2, (big.shape[0] - CH) // 2
    centre = (x0 + (CW - 1) / 2.0, y0 + (CH - 1) / 2.0)
    M = cv2.getRotationMatrix2D(centre, angle_deg, 1.0)
    M[:, 2] += shift
    moved = cv2.warpAffine(big, M, (big.shape[1], big.shape[0]), flags=cv2.INTER_CUBIC)
    return np.stack([big[y0 : y0 + CH, x0 : x0 + CW], moved[y0 : y0 + CH, x0 : x0 + CW]])


def test_recovers_known_shift_and_rotation(walking_frames):
    for shift, angle in [((6.3, -2.7), 0.0), ((-3.2, 4.1), 2.5), ((0.4, 0.2), -1.0)]:
        pair = _warped_pair(walking_frames[10], shift, angle)
        track = estimate_motion(pair)
        assert track.reliable[0], "a pure similarity between two textured frames must fit reliably"
        assert abs(track.dx[0] - shift[0]) < 0.3 and abs(track.dy[0] - shift[1]) < 0.3
        # getRotationMatrix2D turns counter-clockwise on screen: -angle in y-down image coordinates
        assert abs(track.angle_deg[0] + angle) < 0.2
        assert abs(track.log_scale[0]) < 0.005


def test_mask_keeps_a_static_overlay_out_of_the_fit(walking_frames):
    pair = _warped_pair(walking_frames[20], (8.0, 0.0), 0.0)
    yy, xx = np.mgrid[0:CH, 0:CW]
    board = (((yy // 8) + (xx // 8)) % 2 * 200 + 30).astype(np.uint8)  # [CH, CW] static checkerboard
    pair[:, :80, :] = board[:80]  # a static overlay over the upper 45 %: strong corners that never move
    assert abs(estimate_motion(pair).dx[0] - 8.0) > 1.0, "unmasked, the overlay corners pull the fit"
    mask = np.zeros((CH, CW), bool)
    mask[:84, :] = True
    masked = estimate_motion(pair, mask=mask)
    assert masked.reliable[0] and abs(masked.dx[0] - 8.0) < 0.3 and abs(masked.dy[0]) < 0.3


def test_unrelated_frames_are_unreliable(walking_frames, static_frames):
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (walking_frames[0], static_frames[0])])
    blank = np.full((2, 64, 64), 90, np.uint8)  # nothing to track at all
    assert not estimate_motion(gray).reliable[0]
    track = estimate_motion(blank)
    assert not track.reliable[0] and track.n_points[0] == 0
    np.testing.assert_allclose(track.A[0], np.eye(2, 3))


def test_shapes_of_a_sequence(walking_frames):
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in walking_frames[:8:2]])  # [4, H, W]
    track = estimate_motion(gray)
    assert track.A.shape == (3, 2, 3) and len(track) == 3
    for arr in (track.dx, track.dy, track.angle_deg, track.log_scale, track.inlier_ratio, track.residual_px):
        assert arr.shape == (3,) and arr.dtype == np.float64
    assert track.n_points.dtype == np.int64 and track.reliable.dtype == bool
    assert len(estimate_motion(gray[:1])) == 0


def test_fast_pan_beyond_the_lk_pyramid_is_tracked_from_the_phase_shift(walking_frames):
    big = np.concatenate([cv2.cvtColor(walking_frames[i], cv2.COLOR_RGB2GRAY) for i in (0, 40)], axis=1)
    y0, step = 0, 125  # [180, 640] panorama; a 135 deg/s turn at 6 fps moves the picture ~125 px a step
    pair = np.stack([big[y0 : y0 + CH, x : x + CW] for x in (200, 200 - step)])  # content moves right
    plain = estimate_pair_unguided(pair[0], pair[1])
    track = estimate_motion(pair)
    assert track.reliable[0], (track.n_points, track.inlier_ratio)
    assert abs(track.dx[0] - step) < 1.5 and abs(track.dy[0]) < 1.5
    assert not plain.reliable  # the plain LK fit alone loses the points


def estimate_pair_unguided(g0: np.ndarray, g1: np.ndarray):
    """The plain LK fit (no phase-correlation restart), as estimate_pair makes it first."""
    from wpdata.filters.motion import MAX_CORNERS, MIN_DISTANCE, QUALITY, REF_WIDTH, _lk_fit

    p0 = cv2.goodFeaturesToTrack(g0, MAX_CORNERS, QUALITY, MIN_DISTANCE, blockSize=7)
    return _lk_fit(g0, g1, p0, g0.shape[1] / REF_WIDTH, None)
