"""The reachable space of a reconstructed scene, from its training cameras and points.

Up is the mean of the cameras' -y axes (OpenCV: y points down in the image); the ground plane is
orthogonal to it with a right-handed frame (e1, e2, up). The reachable region is the 2D convex hull of
the camera centres in that plane shrunk by a margin (a point is inside when its distance to every
hull edge line is >= the margin; the margin is capped at a quarter of the hull's width, so that a
walk-through scene whose cameras follow a narrow corridor keeps the middle of that corridor), the walking height band spans the camera centres' heights, and the
scene's scale is the camera extent (the hull's diameter): every scale-free parameter is a fraction
of it. Clearance is the distance from a camera centre to the nearest scene point (open3d KDTreeFlann).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d
from scipy.spatial import ConvexHull, QhullError

__all__ = ["Reachable", "PointClearance", "estimate_up", "plane_frame", "reachable_region"]


def estimate_up(c2w: np.ndarray) -> np.ndarray:
    """World up from OpenCV cameras: the normalised mean of their -y axes: [3]."""
    up = -np.asarray(c2w, np.float64)[:, :3, 1].mean(axis=0)  # [3]
    n = np.linalg.norm(up)
    if n < 1e-6:
        raise ValueError("cannot estimate up: the cameras' y axes cancel out")
    return up / n


def plane_frame(up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit axes (e1, e2) spanning the plane orthogonal to ``up``, with e1 x e2 = up."""
    up = np.asarray(up, np.float64)
    seed = np.eye(3)[int(np.argmin(np.abs(up)))]
    e1 = seed - up * (seed @ up)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(up, e1)


@dataclass(frozen=True)
class Reachable:
    """Plane frame, shrunk hull, height band and scale of a scene's camera space."""

    up: np.ndarray  # [3]
    e1: np.ndarray  # [3]
    e2: np.ndarray  # [3]
    origin: np.ndarray  # [3] mean camera centre
    hull_eq: np.ndarray  # [F, 3] unit edge normals n and offsets c: n . uv + c <= 0 inside the hull
    centres_uv: np.ndarray  # [N, 2] camera centres in the plane
    height_band: tuple[float, float]  # min / max camera height along up (relative to origin)
    extent: float  # diameter of the camera hull (scene units)
    margin: float  # hull shrink (scene units)
    pitch: float  # median camera pitch (rad, positive looking up)

    def to_plane(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points [N, 3] -> (plane coords [N, 2], height along up [N])."""
        d = np.asarray(xyz, np.float64) - self.origin
        return np.stack([d @ self.e1, d @ self.e2], axis=-1), d @ self.up

    def to_world(self, uv: np.ndarray, h: np.ndarray | float) -> np.ndarray:
        """Plane coords [N, 2] and heights [N] -> world points [N, 3]."""
        uv = np.asarray(uv, np.float64)
        h = np.broadcast_to(np.asarray(h, np.float64), uv.shape[:-1])
        return self.origin + uv[..., :1] * self.e1 + uv[..., 1:] * self.e2 + h[..., None] * self.up

    def depth(self, uv: np.ndarray) -> np.ndarray:
        """Distance inside the (unshrunk) hull, negative outside: [N]."""
        uv = np.atleast_2d(np.asarray(uv, np.float64))
        return -(uv @ self.hull_eq[:, :2].T + self.hull_eq[:, 2]).max(axis=1)

    def inside(self, uv: np.ndarray) -> np.ndarray:
        """Whether plane points [N, 2] lie in the shrunk hull: [N] bool."""
        return self.depth(uv) >= self.margin - 1e-9

    def ray_length(self, uv: np.ndarray, heading: float) -> float:
        """How far one can go from ``uv`` [2] along ``heading`` (rad from e1 towards e2) inside the shrunk hull."""
        d = np.array([np.cos(heading), np.sin(heading)])
        n, c = self.hull_eq[:, :2], self.hull_eq[:, 2]
        nd = n @ d  # [F]
        slack = -(n @ np.asarray(uv, np.float64) + c) - self.margin  # [F] >= 0 inside
        t = np.where(nd > 1e-12, slack / np.where(nd > 1e-12, nd, 1.0), np.inf)
        return float(max(t.min(), 0.0))

    def sample_inside(self, rng: np.random.Generator, n_try: int = 1000) -> np.ndarray:
        """A uniform random point of the shrunk hull: [2] (ValueError when it is empty)."""
        lo, hi = self.centres_uv.min(axis=0), self.centres_uv.max(axis=0)
        cand = rng.uniform(lo, hi, size=(n_try, 2))  # [n_try, 2]
        ok = np.flatnonzero(self.inside(cand))
        if len(ok) == 0:
            raise ValueError("the reachable region (camera hull shrunk by the margin) is empty")
        return cand[ok[0]]


def reachable_region(c2w: np.ndarray, margin_frac: float = 0.1) -> Reachable:
    """The reachable region of cameras c2w [N, 4, 4] (OpenCV); margin = ``margin_frac`` x extent."""
    c2w = np.asarray(c2w, np.float64)
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or len(c2w) < 3:
        raise ValueError(f"need c2w [N >= 3, 4, 4], got {list(c2w.shape)}")
    up = estimate_up(c2w)
    e1, e2 = plane_frame(up)
    origin = c2w[:, :3, 3].mean(axis=0)
    d = c2w[:, :3, 3] - origin
    uv, h = np.stack([d @ e1, d @ e2], axis=-1), d @ up  # [N, 2], [N]
    try:
        hull = ConvexHull(uv)
    except QhullError as exc:
        raise ValueError(f"camera centres span no area in the ground plane: {exc}") from exc
    verts = uv[hull.vertices]  # [V, 2]
    extent = float(np.linalg.norm(verts[:, None] - verts[None], axis=-1).max())
    width = float(
        (-(verts @ hull.equations[:, :2].T + hull.equations[:, 2])).max(axis=0).min()
    )  # min caliper
    margin = min(margin_frac * extent, 0.25 * width)
    fwd = c2w[:, :3, 2]  # [N, 3]
    pitch = float(np.median(np.arcsin(np.clip(fwd @ up, -1.0, 1.0))))
    return Reachable(
        up, e1, e2, origin, hull.equations.copy(), uv, (float(h.min()), float(h.max())),
        extent, margin, pitch,
    )  # fmt: skip


class PointClearance:
    """Nearest-point distance from query positions to a point cloud (open3d KDTreeFlann)."""

    def __init__(self, points: np.ndarray) -> None:
        pts = np.asarray(points, np.float64)
        if pts.ndim != 2 or pts.shape[1] != 3 or len(pts) == 0:
            raise ValueError(f"need points [P >= 1, 3], got {list(pts.shape)}")
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
        self._tree = o3d.geometry.KDTreeFlann(cloud)

    def distances(self, xyz: np.ndarray) -> np.ndarray:
        """Distance to the nearest point for each query [N, 3]: [N]."""
        q = np.asarray(xyz, np.float64).reshape(-1, 3)
        out = np.empty(len(q))
        for i, p in enumerate(q):
            _, _, d2 = self._tree.search_knn_vector_3d(p, 1)
            out[i] = np.sqrt(d2[0])
        return out
