"""FOV-overlap similarity between cameras by point sampling (the WorldPlay release's retrieval measure).

A contract shared by both sides: wpmodel's memory retrieval ranks history with it, and wpdata's
trajectory generator reports a render's ``revisit_fraction`` (the ``renders`` manifest) with it, so
the data measures revisits exactly the way the model retrieves them.

Around the query camera, ``num_points`` points are sampled uniformly in a ball of radius ``radius``
(in the query camera's frame, so "rebase all poses so the current camera is the identity"). A point is
in a camera's view when, in that camera's OpenCV frame (x right, y down, z forward), its yaw
``atan2(x, z)`` and pitch ``atan2(y, sqrt(x^2 + z^2))`` are within the half FOV and, for historical
cameras, it is closer than ``max_dist``. ``sim = |in_query AND in_hist| / |in_query|``.

Differences from the release, on purpose: the release compares the yaw/pitch of a point with the
yaw/pitch of the historical camera's forward axis measured in the query frame; here the angles are
measured in each camera's own frame (the same for cameras that differ by a yaw and a translation,
exact for pitched or rolled ones). The angle tests are evaluated without trigonometry
(``|x| < z tan(h)``, ``y^2 < tan(v)^2 (x^2 + z^2)``), equivalent for half FOVs below 90 degrees.

Speed: only points inside the query's view matter (about 5% of them for 60 x 35 degrees), so only
those are transformed, all candidates at once ([M, 3, 4] @ [4, P_in]); candidates that cannot see
any of them are skipped exactly: camera centre farther than ``max_dist`` from the points' bounding
sphere, or the sphere wholly outside the camera's bounding view cone. This stays the reference;
``index.py`` estimates the same similarity from bitsets built once per latent, for streaming retrieval
over long, revisit-heavy histories.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

DEFAULT_SEED = 0
_BLOCK = 512  # candidates per batched transform: bounds the [block, 3, P_in] temporaries


def sample_ball_points(num_points: int, radius: float, generator: np.random.Generator) -> np.ndarray:
    """Points uniform in a ball around the origin: cube-root radius, uniform azimuth and cos(polar)."""
    if num_points < 1 or radius <= 0:
        raise ValueError(f"need num_points >= 1 and radius > 0, got {num_points}, {radius}")
    u = generator.random((3, num_points))  # [3, P]
    r = radius * np.cbrt(u[0])
    phi = 2.0 * math.pi * u[1]
    cos_t = 1.0 - 2.0 * u[2]
    sin_t = np.sqrt(np.clip(1.0 - cos_t * cos_t, 0.0, None))
    return np.stack([r * sin_t * np.cos(phi), r * sin_t * np.sin(phi), r * cos_t], axis=1)  # [P, 3]


@lru_cache(maxsize=8)
def default_points(num_points: int = 50_000, radius: float = 8.0, seed: int = DEFAULT_SEED) -> np.ndarray:
    """The shared sample set (read-only, cached): the same points serve every query."""
    pts = sample_ball_points(num_points, radius, np.random.default_rng(seed))
    pts.setflags(write=False)
    return pts


def half_fov_tangents(fov_deg: tuple[float, float]) -> tuple[float, float]:
    """tan of the horizontal and vertical half FOV; each full FOV must be in (0, 180) degrees."""
    h, v = (float(f) for f in fov_deg)
    if not (0.0 < h < 180.0 and 0.0 < v < 180.0):
        raise ValueError(f"fov_deg must be two full angles in (0, 180) degrees, got {fov_deg}")
    return math.tan(math.radians(h / 2.0)), math.tan(math.radians(v / 2.0))


def in_view(pts_cam: np.ndarray, tan_h: float, tan_v: float, max_dist: float | None) -> np.ndarray:
    """Which points (in a camera's frame, [..., 3]) are inside its FOV (and nearer than max_dist)."""
    x, y, z = pts_cam[..., 0], pts_cam[..., 1], pts_cam[..., 2]
    rho2 = x * x + z * z
    ok = (np.abs(x) < z * tan_h) & (y * y < (tan_v * tan_v) * rho2)  # z > 0 follows from the first
    if max_dist is not None:
        ok &= rho2 + y * y < max_dist * max_dist
    return ok


def _check_poses(name: str, c2w: np.ndarray) -> np.ndarray:
    c2w = np.asarray(c2w, dtype=np.float64)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4):
        raise ValueError(f"{name}: expected [N, 4, 4] camera-to-world poses, got {list(c2w.shape)}")
    if not np.isfinite(c2w).all():
        raise ValueError(f"{name}: poses have non-finite values")
    return c2w


def relative_poses(query_c2w: np.ndarray, hist_c2w: np.ndarray) -> np.ndarray:
    """Historical cameras in each query camera's frame: inv(query) @ hist -> [Q, N, 4, 4]."""
    q = _check_poses("query_c2w", query_c2w)  # [Q, 4, 4]
    h = _check_poses("hist_c2w", hist_c2w)  # [N, 4, 4]
    q_inv = np.linalg.inv(q)  # [Q, 4, 4]
    return np.matmul(q_inv[:, None], h[None])  # [Q, N, 4, 4]


def resolve_points(
    points: np.ndarray | None,
    generator: np.random.Generator | None,
    num_points: int,
    radius: float,
) -> np.ndarray:
    """``points`` if given, else drawn from ``generator``, else the cached default set: [P, 3]."""
    if points is None:
        if generator is None:
            return default_points(num_points, radius)
        points = sample_ball_points(num_points, radius, generator)
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"points: expected [P, 3], got {list(points.shape)}")
    return points


def query_points(points: np.ndarray, fov_deg: tuple[float, float]) -> np.ndarray:
    """The sample points inside the (identity) query camera's view: [P_in, 3]."""
    tan_h, tan_v = half_fov_tangents(fov_deg)
    p_in = points[in_view(points, tan_h, tan_v, None)]
    if len(p_in) == 0:
        raise ValueError("no sample point falls inside the query view: raise num_points or the FOV")
    return p_in


def _candidates(
    rel: np.ndarray, p_in: np.ndarray, fov_deg: tuple[float, float], max_dist: float
) -> np.ndarray:
    """Indices of cameras (rel [N, 4, 4] in the query frame) that may see any of p_in (exact cull)."""
    centre = p_in.mean(axis=0)  # [3]
    r_b = float(np.sqrt(((p_in - centre) ** 2).sum(axis=1).max()))
    d = centre[None] - rel[:, :3, 3]  # [N, 3] camera -> sphere centre
    dist = np.linalg.norm(d, axis=1)  # [N]
    near = dist < max_dist + r_b + 1e-6
    tan_h, tan_v = half_fov_tangents(fov_deg)
    # |x| < z tan(h) and |y| < tan(v) sqrt(x^2 + z^2) imply cos(angle to +z) > cos(h) cos(v)
    cone = math.acos(math.cos(math.atan(tan_h)) * math.cos(math.atan(tan_v))) + 1e-6
    axis = rel[:, :3, 2]  # [N, 3] forward axes
    cos_b = (d * axis).sum(axis=1) / np.maximum(dist, 1e-12)
    beta = np.arccos(np.clip(cos_b, -1.0, 1.0))
    slack = np.arcsin(np.clip(r_b / np.maximum(dist, 1e-12), 0.0, 1.0))
    inside_sphere = dist <= r_b
    return np.flatnonzero(near & (inside_sphere | (beta < cone + slack)))


def iter_visible(
    rel: np.ndarray, p_in: np.ndarray, fov_deg: tuple[float, float], max_dist: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (camera indices [m], visible [m, P_in] bool) for the cameras (rel [N, 4, 4]) that may see
    any of p_in ([P_in, 3], query frame); the culled cameras see none of them."""
    if len(p_in) == 0 or len(rel) == 0:
        return
    tan_h, tan_v = half_fov_tangents(fov_deg)
    idx = _candidates(rel, p_in, fov_deg, max_dist)
    p_aug = np.concatenate([p_in, np.ones((len(p_in), 1))], axis=1).T.astype(np.float32)  # [4, P_in]
    rot_t = np.transpose(rel[idx, :3, :3], (0, 2, 1))  # [M, 3, 3] query frame -> camera
    trans = -(rot_t @ rel[idx, :3, 3, None])[..., 0]  # [M, 3]
    w2c = np.concatenate([rot_t, trans[:, :, None]], axis=2).astype(np.float32)  # [M, 3, 4]
    for s in range(0, len(idx), _BLOCK):
        blk = w2c[s : s + _BLOCK]
        pts = (blk.reshape(-1, 4) @ p_aug).reshape(len(blk), 3, -1)  # [m, 3, P_in]
        yield idx[s : s + _BLOCK], in_view(np.moveaxis(pts, 1, -1), tan_h, tan_v, max_dist)


def visible_counts(
    rel: np.ndarray, p_in: np.ndarray, fov_deg: tuple[float, float], max_dist: float
) -> np.ndarray:
    """How many of p_in ([P_in, 3], query frame) each camera (rel [N, 4, 4], query frame) sees: [N]."""
    counts = np.zeros(len(rel), dtype=np.int64)
    for idx, ok in iter_visible(rel, p_in, fov_deg, max_dist):
        counts[idx] = ok.sum(axis=1)
    return counts


def visible_masks(
    rel: np.ndarray, p_in: np.ndarray, fov_deg: tuple[float, float], max_dist: float
) -> np.ndarray:
    """Which of p_in each camera sees: [N, P_in] bool (for greedy coverage selection)."""
    masks = np.zeros((len(rel), len(p_in)), dtype=bool)
    for idx, ok in iter_visible(rel, p_in, fov_deg, max_dist):
        masks[idx] = ok
    return masks


def fov_similarity_batch(
    query_c2w: np.ndarray,
    hist_c2w: np.ndarray,
    num_points: int = 50_000,
    radius: float = 8.0,
    fov_deg: tuple[float, float] = (60.0, 35.0),
    max_dist: float = 8.0,
    generator: np.random.Generator | None = None,
    points: np.ndarray | None = None,
) -> np.ndarray:
    """Similarity of every historical camera to every query camera: [Q, N] float64 in [0, 1].

    Sample points: ``points`` ([P, 3], query-camera frame) if given, else drawn from ``generator``,
    else the cached ``default_points(num_points, radius)`` (seed 0), so results are deterministic.
    """
    p_in = query_points(resolve_points(points, generator, num_points, radius), fov_deg)  # [P_in, 3]
    rel = relative_poses(query_c2w, hist_c2w)  # [Q, N, 4, 4]
    out = np.empty(rel.shape[:2], dtype=np.float64)
    for q in range(len(rel)):
        out[q] = visible_counts(rel[q], p_in, fov_deg, max_dist) / len(p_in)
    return out


def fov_similarity(
    query_c2w: np.ndarray,
    hist_c2w: np.ndarray,
    num_points: int = 50_000,
    radius: float = 8.0,
    fov_deg: tuple[float, float] = (60.0, 35.0),
    max_dist: float = 8.0,
    generator: np.random.Generator | None = None,
    points: np.ndarray | None = None,
) -> np.ndarray:
    """Similarity of each historical camera (hist_c2w [N, 4, 4]) to one query camera ([4, 4]): [N]."""
    query = np.asarray(query_c2w, dtype=np.float64)
    if query.shape != (4, 4):
        raise ValueError(f"query_c2w: expected [4, 4], got {list(query.shape)}")
    return fov_similarity_batch(
        query[None], hist_c2w, num_points, radius, fov_deg, max_dist, generator, points
    )[0]
