"""The relative motion of two views from their matched pixels: a homography or an essential matrix.

While a camera only turns (a turn on the spot, a look around) the matches between two views obey
x2 ~ K R K^-1 x1, a homography, and the essential matrix is ill-posed. So the SIFT matches of a pair are
fitted twice: a homography (OpenCV) and an essential matrix (COLMAP's LO-RANSAC and refinement,
`pycolmap.estimate_relative_pose`). When the homography explains (nearly) as many matches as the
essential matrix the pair is rotation-dominant and its rotation is the least-squares rotation between
the inliers' bearing vectors (scipy `Rotation.align_vectors`); otherwise the rotation and the direction
of the move come from the relative pose. A homography also explains a camera that steps towards a plane
(a room's wall, the ground under a drone): when K^-1 H K is far from a rotation the homography is
decomposed into the plane's motions (OpenCV) and the one nearest the turn reading gives the rotation
and the direction of the move (`_plane_motion`).

The same pair is asked for more than once per clip with the same K (the auto mapper's evidence, the
rotations written for GLOMAP with their translations, the tracks' chaining and checks, the GLOMAP rival
on a copy of the database), so results are kept by the bytes of (x1, x2, K) (`two_view`, the last
`MEMO_PAIRS` pairs of this process): COLMAP's RANSAC is most of the cost (~20 ms a pair here).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import NamedTuple

import cv2
import numpy as np
import pycolmap
from scipy.spatial.transform import Rotation

__all__ = ["Motion", "Pair", "TwoView", "pair_motions", "relative_motion", "relative_rotation", "two_view"]

MIN_MATCHES = 20  # fewer inlier matches -> no rotation for the pair
H_DOMINANT = 0.85  # homography inliers / essential inliers at or above this: rotation-dominant pair
# ... unless K^-1 H K is this far from a rotation ((s1 - s3) / s2 of its singular values): then a move in
# front of a plane (`_plane_motion`). Sampled pairs (offsets 1, 2) of 40 synthetic clips (benchmarks/
# pose_accuracy.py seeds 8080, 31337, 60601, 70707) and two street walks, true K: turns on the spot 0.0004-
# 0.0105; of the 911 H-dominant pairs over 0.02, read as turns 282 were > 0.5 deg off (79 > 1 deg), with
# the plane above 0.06 146 (18), and no kind of clip had more pairs > 1 deg; from 0.05 down, street walks
# (no plane: a loose homography) got pairs over 1 deg that the turn reading had not
PLANE_SPREAD = 0.06
PLANE_MAX_DEG = 3.0  # a plane's motion further than this from the turn reading is not believed (both can be
# off where the plane is a small part of the view; those pairs' turn readings were 0.3-0.4 deg off)
MEMO_PAIRS = 4096  # two-view results kept per process (a 48-frame clip with overlap 10 has ~600 pairs)

Pair = tuple[int, int]
Motion = tuple[np.ndarray, "np.ndarray | None"]  # (R_ij [3, 3], unit direction [3] or None)


class TwoView(NamedTuple):
    """A pair's relative motion; arrays are read-only (shared by every caller of the same pair)."""

    R: np.ndarray | None  # R_12 [3, 3]: rays of camera 2 in camera 1 (c2w rotations: R2 = R1 @ R_12)
    direction: np.ndarray | None  # unit [3]: camera 2's centre in camera 1 (None: no parallax read)
    # t [3] of x_cam2 = R_12^T x_cam1 + t: the plane's for a move in front of a plane, else the essential
    # matrix's (also for a turn, where it is noise); None without either
    translation: np.ndarray | None


_MEMO: OrderedDict[bytes, TwoView] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def _angle_deg(R: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0))))


def _bearings(x: np.ndarray, K_inv: np.ndarray) -> np.ndarray:
    """Unit viewing rays [M, 3] of pixel points x [M, 2]."""
    h = np.column_stack([x, np.ones(len(x))]) @ K_inv.T  # [M, 3]
    return h / np.linalg.norm(h, axis=1, keepdims=True)


def _spread(H: np.ndarray, K: np.ndarray, K_inv: np.ndarray) -> float:
    """How far a pixel homography H [3, 3] is from a pure turn for intrinsics K: (s1 - s3) / s2 of the
    singular values of K^-1 H K (0 for a scaled rotation)."""
    s = np.linalg.svd(K_inv @ H @ K, compute_uv=False)  # [3], descending
    return float((s[0] - s[2]) / s[1]) if s[1] > 0 else float("inf")


def _plane_motion(
    H: np.ndarray, K: np.ndarray, x1: np.ndarray, x2: np.ndarray, R_turn: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(R_12 [3, 3], t [3]: x_cam2 = R_12^T x_cam1 + t, unit length) of a camera that moved in front of a
    plane, from the homography H of the plane's matched pixels x1, x2 [M, 2]; None when no decomposition
    puts them in front of both views or none is near R_turn.

    K^-1 H K = R + t n^T / d has up to two physical solutions (OpenCV's decomposition, filtered by the
    points' visibility in normalised coordinates); the one nearest the pure-turn reading R_turn is kept,
    unless it is more than `PLANE_MAX_DEG` from it. On the pairs of `PLANE_SPREAD` scoring the two by
    their epipolar support over all matches did worse (> 1 deg off on 60 pairs instead of 18: the
    matches off the plane are few and noisy). Its move is also the better one there: of 200 such pairs
    that move, the essential matrix's direction was > 10 deg off on 62 (> 30 deg on 21), the plane's on
    11 (none > 30 deg): the essential matrix of a plane is degenerate.
    """
    n, Rs, ts, normals = cv2.decomposeHomographyMat(H, K)
    K_inv = np.linalg.inv(K)

    def rays(x: np.ndarray) -> np.ndarray:  # [M, 1, 2] normalised image coordinates, as OpenCV wants them
        return (np.column_stack([x, np.ones(len(x))]) @ K_inv.T)[:, None, :2].astype(np.float32)

    seen = cv2.filterHomographyDecompByVisibleRefpoints(Rs, normals, rays(x1), rays(x2))
    if not n or seen is None or len(seen) == 0:
        return None
    off = {k: _angle_deg(R_turn.T @ Rs[k].T) for k in seen.ravel().tolist()}  # OpenCV's R: x2 = R x1 + t
    k = min(off, key=off.get)
    t = np.asarray(ts[k], dtype=np.float64).ravel()
    norm = float(np.linalg.norm(t))
    if off[k] > PLANE_MAX_DEG or norm == 0:
        return None
    return np.asarray(Rs[k], dtype=np.float64).T, t / norm


def relative_rotation(x1: np.ndarray, x2: np.ndarray, K: np.ndarray) -> np.ndarray | None:
    """R_12 [3, 3] from matched pixels x1, x2 [M, 2] of two views with intrinsics K [3, 3], or None.

    R_12 maps viewing rays of camera 2 into camera 1 (so c2w rotations satisfy R2 = R1 @ R_12); None
    when fewer than `MIN_MATCHES` matches are consistent with either model.
    """
    return relative_motion(x1, x2, K)[0]


def relative_motion(
    x1: np.ndarray, x2: np.ndarray, K: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(R_12 [3, 3] as `relative_rotation`, the unit direction [3] of camera 2's centre in camera 1's
    frame) from matched pixels; the direction is None for a rotation-dominant pair (no parallax to
    measure it), and both are None with too few consistent matches."""
    tv = two_view(x1, x2, K)
    return tv.R, tv.direction


def two_view(x1: np.ndarray, x2: np.ndarray, K: np.ndarray) -> TwoView:
    """The relative motion of two views with intrinsics K [3, 3] from matched pixels x1, x2 [M, 2]
    (memoised by their bytes; see the module docstring)."""
    x1 = np.ascontiguousarray(x1, dtype=np.float64)
    x2 = np.ascontiguousarray(x2, dtype=np.float64)
    K = np.ascontiguousarray(K, dtype=np.float64)
    h = hashlib.blake2b(digest_size=20)
    for a in (x1, x2, K):
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    key = h.digest()
    with _MEMO_LOCK:
        if (hit := _MEMO.get(key)) is not None:
            _MEMO.move_to_end(key)
            return hit
    out = TwoView(*(None if a is None else _frozen(a) for a in _two_view(x1, x2, K)))
    with _MEMO_LOCK:
        _MEMO[key] = out
        while len(_MEMO) > MEMO_PAIRS:
            _MEMO.popitem(last=False)
    return out


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def _two_view(
    x1: np.ndarray, x2: np.ndarray, K: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(R_12, direction, translation) of `two_view`, computed (the translation is the plane's for a move in
    front of a plane, else the essential matrix's)."""
    if len(x1) < MIN_MATCHES:
        return None, None, None
    H, h_in = cv2.findHomography(x1, x2, cv2.RANSAC, 1.5, maxIters=2000, confidence=0.999)
    cam = pycolmap.Camera(model="PINHOLE", width=int(2 * K[0, 2]), height=int(2 * K[1, 2]),
                          params=[K[0, 0], K[1, 1], K[0, 2], K[1, 2]])  # fmt: skip
    opts = pycolmap.RANSACOptions()
    opts.max_error = 1.0
    pycolmap.set_random_seed(0)  # same matches -> same rotation
    rp = pycolmap.estimate_relative_pose(cam, x1, cam, x2, opts)  # LO-RANSAC + refinement
    n_h = int(h_in.sum()) if H is not None else 0
    n_e = int(rp["num_inliers"]) if rp is not None else 0
    t = np.asarray(rp["cam2_from_cam1"].translation, dtype=np.float64) if rp is not None else None
    if max(n_h, n_e) < MIN_MATCHES:
        return None, None, t
    if n_h >= H_DOMINANT * n_e:
        m = h_in.ravel().astype(bool)
        K_inv = np.linalg.inv(K)
        rot, _ = Rotation.align_vectors(_bearings(x1[m], K_inv), _bearings(x2[m], K_inv))  # b1 = R_12 b2
        R_turn = rot.as_matrix()
        if _spread(H, K, K_inv) > PLANE_SPREAD:
            plane = _plane_motion(H, K, x1[m], x2[m], R_turn)
            if plane is not None:
                R12, t_plane = plane
                return R12, _direction(R12.T, t_plane), t_plane
        return R_turn, None, t
    R = rp["cam2_from_cam1"].rotation.matrix()  # x_cam2 = R x_cam1 + t
    return R.T, _direction(R, t), t  # R_12 = R.T


def _direction(R: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Unit direction [3] of camera 2's centre in camera 1 for x_cam2 = R x_cam1 + t (None when t = 0)."""
    centre = -R.T @ t  # [3]
    norm = float(np.linalg.norm(centre))
    return centre / norm if norm > 0 else None


def pair_motions(pairs: dict[Pair, tuple[np.ndarray, np.ndarray]], K: np.ndarray) -> dict[Pair, Motion]:
    """`relative_motion` (R_ij, direction or None) of each pair (i, j) of matched pixels (x_i [M, 2],
    x_j [M, 2]); pairs with too few consistent matches are left out."""
    out = {}
    for ij, (xi, xj) in sorted(pairs.items()):
        R, direction = relative_motion(xi, xj, K)
        if R is not None:
            out[ij] = (R, direction)
    return out
