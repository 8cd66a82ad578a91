"""Orientations for sampled frames that SfM left unregistered, chained from two-view rotations.

While a camera only turns (a turn on the spot, a look around) nothing new can be triangulated, so
incremental SfM cannot register those views, although their orientation is well determined: the
matches between two views of a rotating camera obey x2 ~ K R K^-1 x1, a homography. For each pair
of consecutive sampled frames the SIFT matches are fitted twice (OpenCV): a homography and an
essential matrix. When the homography explains (nearly) as many matches as the essential matrix the
pair is rotation-dominant and its rotation is the least-squares rotation between the inliers'
bearing vectors (scipy `Rotation.align_vectors`; well posed for pure rotation, where the essential
matrix is not); otherwise the rotation comes from the relative pose. A homography also explains a
camera that steps towards a plane (a room's wall, the ground under a drone): when K^-1 H K is far from
a rotation the homography is decomposed into the plane's motions (OpenCV) and the one nearest the turn
reading gives the rotation (`_plane_rotation`).

A run of unregistered frames between two registered ones is chained from both ends and the two
chains are blended by slerp with weights growing towards the far end, which spreads the closing error
along the run; a run at the start or end of the clip is chained from its one registered neighbour.
Positions are not estimated here (the caller interpolates them).
"""

from __future__ import annotations

import cv2
import numpy as np
import pycolmap
from scipy.spatial.transform import Rotation, Slerp

__all__ = [
    "chain_rotations",
    "consistent_registered",
    "pair_motions",
    "registered_groups",
    "relative_motion",
    "relative_rotation",
]

MIN_MATCHES = 20  # fewer inlier matches -> no rotation for the pair
H_DOMINANT = 0.85  # homography inliers / essential inliers at or above this: rotation-dominant pair
# ... unless K^-1 H K is this far from a rotation ((s1 - s3) / s2 of its singular values): then a move in
# front of a plane (`_plane_rotation`). Sampled pairs (offsets 1, 2) of 40 synthetic clips (benchmarks/
# pose_accuracy.py seeds 8080, 31337, 60601, 70707) and two street walks, true K: turns on the spot 0.0004-
# 0.0105; of the 911 H-dominant pairs over 0.02, read as turns 282 were > 0.5 deg off (79 > 1 deg), with
# the plane above 0.06 146 (18), and no kind of clip had more pairs > 1 deg; from 0.05 down, street walks
# (no plane: a loose homography) got pairs over 1 deg that the turn reading had not
PLANE_SPREAD = 0.06
PLANE_MAX_DEG = 3.0  # a plane's motion further than this from the turn reading is not believed (both can be
# off where the plane is a small part of the view; those pairs' turn readings were 0.3-0.4 deg off)
MAX_DISAGREE_DEG = 3.0  # SfM vs two-view relative rotation of neighbours beyond this: a break

Pair = tuple[int, int]
Motion = tuple[np.ndarray, "np.ndarray | None"]  # (R_ij [3, 3], unit direction [3] or None)


def _bearings(x: np.ndarray, K_inv: np.ndarray) -> np.ndarray:
    """Unit viewing rays [M, 3] of pixel points x [M, 2]."""
    h = np.column_stack([x, np.ones(len(x))]) @ K_inv.T  # [M, 3]
    return h / np.linalg.norm(h, axis=1, keepdims=True)


def _spread(H: np.ndarray, K: np.ndarray, K_inv: np.ndarray) -> float:
    """How far a pixel homography H [3, 3] is from a pure turn for intrinsics K: (s1 - s3) / s2 of the
    singular values of K^-1 H K (0 for a scaled rotation)."""
    s = np.linalg.svd(K_inv @ H @ K, compute_uv=False)  # [3], descending
    return float((s[0] - s[2]) / s[1]) if s[1] > 0 else float("inf")


def _plane_rotation(
    H: np.ndarray, K: np.ndarray, x1: np.ndarray, x2: np.ndarray, R_turn: np.ndarray
) -> np.ndarray | None:
    """R_12 [3, 3] of a camera that moved in front of a plane, from the homography H of the plane's matched
    pixels x1, x2 [M, 2]; None when no decomposition puts them in front of both views or none is near R_turn.

    K^-1 H K = R + t n^T / d has up to two physical solutions (OpenCV's decomposition, filtered by the
    points' visibility in normalised coordinates); the one nearest the pure-turn reading R_turn is kept,
    unless it is more than `PLANE_MAX_DEG` from it. On the pairs of `PLANE_SPREAD` scoring the two by
    their epipolar support over all matches did worse (> 1 deg off on 60 pairs instead of 18: the
    matches off the plane are few and noisy). The move's direction is not given: walking straight at a
    wall, the two solutions turn alike but point opposite ways.
    """
    n, Rs, _, normals = cv2.decomposeHomographyMat(H, K)
    K_inv = np.linalg.inv(K)

    def rays(x: np.ndarray) -> np.ndarray:  # [M, 1, 2] normalised image coordinates, as OpenCV wants them
        return (np.column_stack([x, np.ones(len(x))]) @ K_inv.T)[:, None, :2].astype(np.float32)

    seen = cv2.filterHomographyDecompByVisibleRefpoints(Rs, normals, rays(x1), rays(x2))
    if not n or seen is None or len(seen) == 0:
        return None
    R12 = [Rs[k].T for k in seen.ravel().tolist()]  # OpenCV's R: x_cam2 = R x_cam1 + t
    best = min(R12, key=lambda R: _angle_deg(R_turn.T @ R))
    return best if _angle_deg(R_turn.T @ best) <= PLANE_MAX_DEG else None


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
    measure it) or a move in front of a plane (`_plane_rotation`), and both are None with too few
    consistent matches."""
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    if len(x1) < MIN_MATCHES:
        return None, None
    H, h_in = cv2.findHomography(x1, x2, cv2.RANSAC, 1.5, maxIters=2000, confidence=0.999)
    cam = pycolmap.Camera(model="PINHOLE", width=int(2 * K[0, 2]), height=int(2 * K[1, 2]),
                          params=[K[0, 0], K[1, 1], K[0, 2], K[1, 2]])  # fmt: skip
    opts = pycolmap.RANSACOptions()
    opts.max_error = 1.0
    pycolmap.set_random_seed(0)  # same matches -> same rotation
    rp = pycolmap.estimate_relative_pose(cam, x1, cam, x2, opts)  # LO-RANSAC + refinement
    n_h = int(h_in.sum()) if H is not None else 0
    n_e = int(rp["num_inliers"]) if rp is not None else 0
    if max(n_h, n_e) < MIN_MATCHES:
        return None, None
    if n_h >= H_DOMINANT * n_e:
        m = h_in.ravel().astype(bool)
        K_inv = np.linalg.inv(K)
        rot, _ = Rotation.align_vectors(_bearings(x1[m], K_inv), _bearings(x2[m], K_inv))  # b1 = R_12 b2
        R_turn = rot.as_matrix()
        if _spread(H, K, K_inv) > PLANE_SPREAD:
            R_plane = _plane_rotation(H, K, x1[m], x2[m], R_turn)
            return (R_turn if R_plane is None else R_plane), None
        return R_turn, None
    pose = rp["cam2_from_cam1"]  # x_cam2 = R x_cam1 + t
    R = pose.rotation.matrix()
    centre = -R.T @ np.asarray(pose.translation, dtype=np.float64)  # camera 2's centre in camera 1
    norm = float(np.linalg.norm(centre))
    return R.T, (centre / norm if norm > 0 else None)  # R_12 = R.T


def pair_motions(pairs: dict[Pair, tuple[np.ndarray, np.ndarray]], K: np.ndarray) -> dict[Pair, Motion]:
    """`relative_motion` (R_ij, direction or None) of each pair (i, j) of matched pixels (x_i [M, 2],
    x_j [M, 2]); pairs with too few consistent matches are left out."""
    out = {}
    for ij, (xi, xj) in sorted(pairs.items()):
        R, direction = relative_motion(xi, xj, K)
        if R is not None:
            out[ij] = (R, direction)
    return out


def chain_rotations(
    known: np.ndarray, R_c2w: np.ndarray, rel: list[np.ndarray | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Fill orientations of unknown sampled frames by chaining pair rotations from known neighbours.

    known: [S] bool; R_c2w: [S, 3, 3] c2w rotations (used where known); rel: S-1 entries, rel[i] maps
    rays of frame i+1 to frame i (or None). Returns (R [S, 3, 3], chained [S] bool): frames reached by
    an unbroken chain from a known frame (from both sides when both exist) get a rotation.
    """
    known = np.asarray(known, dtype=bool)
    S = len(known)
    R = np.asarray(R_c2w, dtype=np.float64).copy()  # [S, 3, 3]
    chained = np.zeros(S, dtype=bool)
    i = 0
    while i < S:
        if known[i]:
            i += 1
            continue
        j = i
        while j < S and not known[j]:
            j += 1
        a, b = i - 1, j  # known neighbours (a < 0 or b == S: none on that side)
        fwd, bwd = {}, {}
        if a >= 0:
            cur = R[a]
            for k in range(i, j):
                if rel[k - 1] is None:
                    break
                cur = cur @ rel[k - 1]
                fwd[k] = cur
        if b < S:
            cur = R[b]
            for k in range(j - 1, i - 1, -1):
                if rel[k] is None:
                    break
                cur = cur @ rel[k].T
                bwd[k] = cur
        for k in range(i, j):
            if k in fwd and k in bwd:
                w = (k - a) / (b - a)  # weight of the chain from the right
                R[k] = Slerp([0.0, 1.0], Rotation.from_matrix(np.stack([fwd[k], bwd[k]])))(w).as_matrix()
                chained[k] = True
            elif k in fwd or k in bwd:  # one side only (clip end, or a broken chain)
                R[k] = fwd[k] if k in fwd else bwd[k]
                chained[k] = True
        i = j
    return R, chained


def _angle_deg(R: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0))))


def registered_groups(
    registered: np.ndarray, R_c2w: np.ndarray, rel: list[np.ndarray | None], max_deg: float = MAX_DISAGREE_DEG
) -> np.ndarray:
    """Group label [S] of each registered frame (-1 elsewhere): neighbouring registered frames whose
    relative model rotation differs from the chained pair rotations by more than `max_deg` start a new
    group, so each group agrees with the pair rotations inside itself."""
    labels = np.full(len(registered), -1, dtype=np.int64)
    idx = np.flatnonzero(np.asarray(registered, dtype=bool))
    if len(idx) == 0:
        return labels
    group = np.zeros(len(idx), dtype=np.int64)
    for n, (a, b) in enumerate(zip(idx[:-1], idx[1:], strict=True)):
        chain = np.eye(3)
        for k in range(a, b):
            if rel[k] is None:
                chain = None
                break
            chain = chain @ rel[k]
        model = R_c2w[a].T @ R_c2w[b]  # [3, 3] rays of b in a, by the model
        broken = chain is not None and _angle_deg(chain.T @ model) > max_deg
        group[n + 1] = group[n] + int(broken)
    labels[idx] = group
    return labels


def consistent_registered(
    registered: np.ndarray, R_c2w: np.ndarray, rel: list[np.ndarray | None], max_deg: float = MAX_DISAGREE_DEG
) -> np.ndarray:
    """Registered mask [S] keeping only the largest run of SfM poses that agree with the pair rotations.

    A view that only turns can be registered wrongly (few, badly conditioned 3D points): its model
    rotation then jumps against the two-view rotation of its neighbours. Such jumps split the registered
    frames into groups (`registered_groups`); all but the largest group are unregistered.
    """
    reg = np.asarray(registered, dtype=bool).copy()
    if reg.sum() < 2:
        return reg
    labels = registered_groups(reg, R_c2w, rel, max_deg)
    keep = np.bincount(labels[reg]).argmax()
    reg[labels != keep] = False
    return reg
