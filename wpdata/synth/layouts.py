"""World layouts: ``make_world(seed, kind)`` builds a street, a plaza or a room (z up, metres)."""

from __future__ import annotations

import numpy as np

from wpdata.synth.textures import TEXTURE_MAKERS
from wpdata.synth.world import Box, Quad, World, box_quads, free_space_map, ground_quad, vertical_quad

__all__ = ["make_world", "WORLD_KINDS"]

WORLD_KINDS = ("street", "plaza", "room")
_DEFAULT_EXTENT = {"street": 60.0, "plaza": 40.0, "room": 10.0}
APRON_M = 60.0  # outdoor worlds: the ground goes on this far beyond the facades (seen from above them)
APRON_CELL_M = 20.0


class _Tex:
    """Seeded texture bank: every call makes a new variant of a texture kind."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.rng, self.size, self.images = rng, size, []

    def new(self, kind: str) -> int:
        self.images.append(TEXTURE_MAKERS[kind](self.rng, self.size))
        return len(self.images) - 1


def _ground_tiles(x0, x1, y0, y1, tex: int, tex_m: float, cell: float = 8.0) -> list[Quad]:
    """Ground split in cells (keeps per-quad screen boxes small and culling effective)."""
    xs = np.linspace(x0, x1, max(1, int(np.ceil((x1 - x0) / cell))) + 1)
    ys = np.linspace(y0, y1, max(1, int(np.ceil((y1 - y0) / cell))) + 1)
    quads = []
    for i in range(len(xs) - 1):
        for j in range(len(ys) - 1):
            tiling = ((xs[i + 1] - xs[i]) / tex_m, (ys[j + 1] - ys[j]) / tex_m)
            quads.append(ground_quad(xs[i], xs[i + 1], ys[j], ys[j + 1], 0.0, tex, tiling))
    return quads


def _apron(bounds, rng: np.random.Generator, tex: _Tex, size: int) -> list[Quad]:
    """Ground of its own texture around ``bounds`` out to ``APRON_M``: hidden behind the facades from
    the walkable ground, seen over them from a drone (which saw the bare sky colour there before)."""
    tex.images.append(TEXTURE_MAKERS[str(rng.choice(["grass", "asphalt", "tiles"]))](rng, size))
    t = len(tex.images) - 1
    x0, x1, y0, y1 = bounds
    X0, X1, Y0, Y1 = x0 - APRON_M, x1 + APRON_M, y0 - APRON_M, y1 + APRON_M
    strips = [(X0, X1, y1, Y1), (X0, X1, Y0, y0), (X0, x0, y0, y1), (x1, X1, y0, y1)]
    return [q for a, b, c, d in strips for q in _ground_tiles(a, b, c, d, t, 4.0, APRON_CELL_M)]


def _facades(a, b, rng: np.random.Generator, tex: list[int], hmin: float, hmax: float) -> list[Quad]:
    """A row of buildings of random widths and heights along the wall line a -> b (front = inside)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = float(np.linalg.norm(b - a))
    d = (b - a) / length
    quads, s = [], 0.0
    while s < length - 1e-6:
        w = min(float(rng.uniform(6, 14)), length - s)
        h = float(rng.uniform(hmin, hmax))
        t = int(rng.choice(tex))
        quads.append(vertical_quad(a + d * s, a + d * (s + w), 0.0, h, t, (w / 6.0, h / 6.0)))
        s += w
    return quads


def _scatter_boxes(
    rng: np.random.Generator, n: int, area, clearance: float, sizes, keep_clear=None
) -> list[Box]:
    """Rejection-sample ``n`` boxes inside area (xmin, xmax, ymin, ymax), footprints >= clearance apart."""
    boxes: list[Box] = []
    for _ in range(n * 40):
        if len(boxes) == n:
            break
        sx, sy, h = (float(rng.uniform(lo, hi)) for lo, hi in sizes[int(rng.integers(0, len(sizes)))])
        r = 0.5 * np.hypot(sx, sy)
        c = rng.uniform([area[0] + r, area[2] + r], [area[1] - r, area[3] - r])
        if keep_clear is not None and keep_clear(c, r):
            continue
        if all(np.hypot(*(c - b.center)) > r + 0.5 * np.hypot(*b.size) + clearance for b in boxes):
            boxes.append(Box((float(c[0]), float(c[1])), (sx, sy), h, float(rng.uniform(0, np.pi))))
    return boxes


_STREET_SIZES = [
    ((1.7, 1.9), (3.8, 4.6), (1.3, 1.7)),
    ((1.5, 2.5), (1.5, 2.5), (2.0, 3.0)),
    ((0.6, 1.2), (0.6, 1.2), (0.6, 1.2)),
    ((0.4, 0.6), (0.4, 0.6), (2.5, 4.0)),
]
_ROOM_SIZES = [((0.8, 2.0), (0.5, 1.0), (0.7, 1.0)), ((0.4, 0.6), (0.4, 0.6), (0.4, 1.8))]


def _street(rng, tex: _Tex, length: float, n_boxes: int):
    half_road, half_w = 5.0, 8.0
    x0, x1 = -length / 2, length / 2
    road, walk = tex.new("asphalt"), tex.new("tiles")
    quads = _ground_tiles(x0, x1, -half_road, half_road, road, 5.0)
    quads += _ground_tiles(x0, x1, half_road, half_w, walk, 2.0)
    quads += _ground_tiles(x0, x1, -half_w, -half_road, walk, 2.0)
    fac = [tex.new("facade") for _ in range(3)] + [tex.new("bricks")]
    quads += _facades((x0, half_w), (x1, half_w), rng, fac, 8, 20)
    quads += _facades((x1, -half_w), (x0, -half_w), rng, fac, 8, 20)
    quads += _facades((x0, -half_w), (x0, half_w), rng, fac, 8, 20)
    quads += _facades((x1, half_w), (x1, -half_w), rng, fac, 8, 20)
    bounds = (x0, x1, -half_w, half_w)
    boxes = _scatter_boxes(rng, n_boxes, bounds, 1.8, _STREET_SIZES)
    return quads, bounds, boxes, None


def _plaza(rng, tex: _Tex, side: float, n_boxes: int):
    h = side / 2
    floor, lawn = tex.new("tiles"), tex.new("grass")
    quads = _ground_tiles(-h, h, -h, h, floor, 3.0)
    quads += [
        Quad(q.corners + [0, 0, 0.01], lawn, q.tiling, False) for q in _ground_tiles(-4, 4, -4, 4, lawn, 4.0)
    ]
    fac = [tex.new("facade") for _ in range(3)] + [tex.new("bricks")]
    corners = [(-h, h), (h, h), (h, -h), (-h, -h)]
    for k in range(4):  # clockwise from above, so facades face the inside
        quads += _facades(corners[k], corners[(k + 1) % 4], rng, fac, 10, 25)
    bounds = (-h, h, -h, h)
    boxes = [Box((0.0, 0.0), (2.0, 2.0), 4.0, float(rng.uniform(0, np.pi)))]
    boxes += _scatter_boxes(rng, n_boxes - 1, bounds, 2.0, _STREET_SIZES, lambda c, r: np.hypot(*c) < r + 4.5)
    return quads, bounds, boxes, None


def _room(rng, tex: _Tex, side: float, n_boxes: int):
    hx, hy, hz = side / 2, side * 0.4, 3.0
    floor, wall, ceil = tex.new("tiles"), tex.new("bricks"), tex.new("grass")
    quads = _ground_tiles(-hx, hx, -hy, hy, floor, 1.5, cell=4.0)
    quads.append(ground_quad(-hx, hx, -hy, hy, hz, ceil, (side / 4, side / 4), up=False))
    corners = [(-hx, hy), (hx, hy), (hx, -hy), (-hx, -hy)]
    for k in range(4):
        a, b = np.array(corners[k]), np.array(corners[(k + 1) % 4])
        w = float(np.linalg.norm(b - a))
        quads.append(vertical_quad(a, b, 0.0, hz, wall, (w / 2.0, hz / 2.0)))
        d, n = (b - a) / w, np.array([(b - a)[1], -(b - a)[0]]) / w
        for s in np.arange(1.0, w - 1.5, 2.5):  # posters 2 cm in front of the wall
            p = a + d * (s + rng.uniform(0, 0.8)) + n * 0.02
            pw, ph, z = rng.uniform(0.6, 1.2), rng.uniform(0.6, 1.0), rng.uniform(1.2, 1.6)
            quads.append(vertical_quad(p, p + d * pw, z, z + ph, tex.new("poster")))
    bounds = (-hx, hx, -hy, hy)
    boxes = _scatter_boxes(rng, n_boxes, bounds, 1.2, _ROOM_SIZES)
    return quads, bounds, boxes, hz - 0.3


def make_world(
    seed: int,
    kind: str = "street",
    extent: float | None = None,
    n_boxes: int | None = None,
    texture_size: int = 256,
) -> World:
    """Build a seeded world: ``street`` (road between facades), ``plaza`` (square) or ``room``."""
    if kind not in WORLD_KINDS:
        raise ValueError(f"unknown world kind {kind!r}; expected one of {WORLD_KINDS}")
    extent = float(extent or _DEFAULT_EXTENT[kind])
    if extent <= 2.0:
        raise ValueError(f"extent must be > 2 m, got {extent}")
    rng = np.random.default_rng([seed, WORLD_KINDS.index(kind)])
    tex = _Tex(rng, texture_size)
    n = n_boxes if n_boxes is not None else {"street": 30, "plaza": 30, "room": 8}[kind]
    quads, bounds, boxes, ceiling = {"street": _street, "plaza": _plaza, "room": _room}[kind](
        rng, tex, extent, n
    )
    box_tex = [tex.new("poster"), tex.new("bricks"), tex.new("tiles")]
    for b in boxes:
        quads += box_quads(
            b, int(rng.choice(box_tex)), int(rng.choice(box_tex)), tile_m=1.0 if kind == "room" else 1.5
        )
    if ceiling is None:  # outdoors: the land beyond the facades, from its own rng (the rest is unchanged)
        quads += _apron(bounds, np.random.default_rng([seed, WORLD_KINDS.index(kind), 1]), tex, texture_size)
    margin = 0.5 if kind == "room" else 0.8
    free, origin = free_space_map(bounds, boxes, margin)
    zen = tuple(int(c) for c in rng.uniform([40, 90, 170], [100, 150, 230]))
    hor = tuple(int(c) for c in rng.uniform([180, 200, 220], [230, 235, 250]))
    return World(kind, seed, quads, tex.images, bounds, free, origin, 0.1, boxes, zen, hor, ceiling)
