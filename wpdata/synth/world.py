"""The synthetic world: textured quads, a sky gradient and a free-space map for camera placement.

World frame: **z up**, metres, ground at z = 0. Cameras placed in it are OpenCV c2w (x right,
y down, z forward), as everywhere in the project.

A quad is a parallelogram ``p0, p1 = p0 + U, p2 = p0 + U + V, p3 = p0 + V``; texture coordinate
``u`` runs along ``U`` and ``v`` along ``V`` (both in [0, 1], repeated ``tiling`` times). Its front
side is the one its normal ``cross(V, U)`` points to; the texture reads left-to-right from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = ["Quad", "Box", "World", "vertical_quad", "ground_quad", "box_quads", "free_space_map"]

SUN = np.array([0.45, 0.3, 0.84]) / np.linalg.norm([0.45, 0.3, 0.84])


@dataclass
class Quad:
    """One textured parallelogram."""

    corners: np.ndarray  # [4, 3] float64 world coords: p0, p0+U, p0+U+V, p0+V
    texture: int  # index into World.textures
    tiling: tuple[float, float] = (1.0, 1.0)  # texture repeats along U, V
    two_sided: bool = True
    shade: float = 1.0  # Lambert factor, set by World from the sun direction

    @property
    def normal(self) -> np.ndarray:
        """Unit front normal cross(V, U)."""  # [3]
        u = self.corners[1] - self.corners[0]
        v = self.corners[3] - self.corners[0]
        n = np.cross(v, u)
        return n / np.linalg.norm(n)


@dataclass
class Box:
    """An obstacle standing on the ground: centre (x, y), footprint size, height, yaw (rad)."""

    center: tuple[float, float]
    size: tuple[float, float]
    height: float
    yaw: float

    def footprint(self) -> np.ndarray:
        """Corners counter-clockwise seen from above."""  # [4, 2] float64
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        hx, hy = self.size[0] / 2, self.size[1] / 2
        local = np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])
        return local @ np.array([[c, s], [-s, c]]) + np.asarray(self.center)


@dataclass
class World:
    """Textured quads + sky + free space. Up axis is +z; see the module docstring."""

    kind: str
    seed: int
    quads: list[Quad]
    textures: list[np.ndarray]  # each [S, S, 3] uint8 RGB
    bounds: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of the walkable ground
    free: np.ndarray  # [NY, NX] bool, True where a camera may stand (cell (i, j) at origin + (j, i) * res)
    free_origin: tuple[float, float]  # world (x, y) of cell (0, 0)'s centre
    free_res: float  # metres per cell
    boxes: list[Box] = field(default_factory=list)
    sky_zenith: tuple[int, int, int] = (70, 120, 200)
    sky_horizon: tuple[int, int, int] = (200, 220, 240)
    ceiling: float | None = None  # max camera height (rooms), None when open sky
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # renderer's derived arrays

    def __post_init__(self) -> None:
        for q in self.quads:
            lam = abs(float(q.normal @ SUN)) if q.two_sided else max(0.0, float(q.normal @ SUN))
            q.shade = 0.55 + 0.45 * lam

    def is_free(self, xy: np.ndarray) -> np.ndarray:
        """True where the world (x, y) points lie in free space."""  # xy [..., 2] -> [...] bool
        xy = np.asarray(xy, np.float64)
        j = np.round((xy[..., 0] - self.free_origin[0]) / self.free_res).astype(np.int64)
        i = np.round((xy[..., 1] - self.free_origin[1]) / self.free_res).astype(np.int64)
        ok = (i >= 0) & (i < self.free.shape[0]) & (j >= 0) & (j < self.free.shape[1])
        out = np.zeros(xy.shape[:-1], bool)
        out[ok] = self.free[i[ok], j[ok]]
        return out

    def free_points(self) -> np.ndarray:
        """World (x, y) of every free cell."""  # [F, 2] float64
        i, j = np.nonzero(self.free)
        return np.stack(
            [self.free_origin[0] + j * self.free_res, self.free_origin[1] + i * self.free_res], -1
        )


def vertical_quad(a, b, z0: float, z1: float, texture: int, tiling=(1.0, 1.0), two_sided=False) -> Quad:
    """Wall from ground point a to b (seen from its front, a is on the left), z0..z1 high."""
    a3 = np.array([a[0], a[1], z1], np.float64)
    b3 = np.array([b[0], b[1], z1], np.float64)
    down = np.array([0.0, 0.0, z0 - z1])
    return Quad(np.stack([a3, b3, b3 + down, a3 + down]), texture, tiling, two_sided)


def ground_quad(x0: float, x1: float, y0: float, y1: float, z: float, texture: int, tiling, up=True) -> Quad:
    """Horizontal rectangle; its front faces +z when ``up`` else -z (ceilings)."""
    if up:
        c = [[x0, y1, z], [x1, y1, z], [x1, y0, z], [x0, y0, z]]
    else:
        c = [[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]
    return Quad(np.array(c, np.float64), texture, tiling, two_sided=False)


def box_quads(box: Box, side_tex: int, top_tex: int, tile_m: float = 1.5) -> list[Quad]:
    """Four outward-facing sides and a top for a box."""
    fp = box.footprint()
    quads = []
    for k in range(4):
        a, b = fp[k], fp[(k + 1) % 4]
        w = float(np.linalg.norm(b - a))
        quads.append(
            vertical_quad(a, b, 0.0, box.height, side_tex, (max(w / tile_m, 0.5), box.height / tile_m))
        )
    top = np.array([[*fp[3], box.height], [*fp[2], box.height], [*fp[1], box.height], [*fp[0], box.height]])
    quads.append(Quad(top, top_tex, (box.size[0] / tile_m, box.size[1] / tile_m), two_sided=False))
    return quads


def free_space_map(
    bounds: tuple[float, float, float, float], boxes: list[Box], margin: float, res: float = 0.1
) -> tuple[np.ndarray, tuple[float, float]]:
    """Ground inside ``bounds`` shrunk by ``margin``, minus every box footprint dilated by ``margin``."""
    xmin, xmax, ymin, ymax = bounds
    nx = int(np.floor((xmax - xmin) / res)) + 1
    ny = int(np.floor((ymax - ymin) / res)) + 1
    occ = np.zeros((ny, nx), np.uint8)  # [NY, NX]
    for box in boxes:
        fp = (box.footprint() - [xmin, ymin]) / res
        cv2.fillConvexPoly(occ, np.round(fp * 16).astype(np.int32), 1, lineType=cv2.LINE_8, shift=4)
    r = int(np.ceil(margin / res))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    occ = cv2.dilate(occ, kernel)
    free = occ == 0
    free[:r, :] = free[-r:, :] = False
    free[:, :r] = free[:, -r:] = False
    return free, (xmin, ymin)
