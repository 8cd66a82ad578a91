"""Incremental FOV-overlap index: per-camera visibility bitsets over world-fixed points, built once.

The release's similarity (``manifests/fov.py``) samples points around each query camera, so every query
transforms those points into every nearby historical camera: ~0.2 ms per nearby camera, seconds per
query on revisit-heavy paths with a 10k-latent history. Here the sample points are fixed in the world
(``grid.PointGrid``: hash-grid cells of ~2 m at the release's density), and each historical camera's
set of visible points is computed ONCE, when its latent is added, as bitsets per grid cell. A query
computes its own bitsets (points within ``radius`` in its view) and, per candidate camera,
``sim = popcount(query AND hist) / popcount(query)``, summed over the query's cells.

Statistically equivalent to the release: both estimate the same quantity -- the fraction of the
query's view cone (truncated at ``radius``) that lies inside the historical camera's view cone
(truncated at ``max_dist``) -- with uniform points at the same density. The difference: the points
are world-fixed (stratified per cell) rather than a query-centred ball, so the estimate's sampling
noise (about sqrt(s (1 - s) / 2400), <= 0.01) differs from the release's, and a rigid motion of all
cameras changes the result within that noise instead of not at all. ``tests/.../test_index.py``
bounds the difference.

Only latents at chunk offsets ``offsets`` (default 0 and 2: the latents h and h + 2 that retrieval
scores) are indexed; ``offsets=None`` indexes every latent.
"""

from __future__ import annotations

import math

import numpy as np

from manifests.fov import half_fov_tangents
from wpmodel.memory.grid import PointGrid, pack_cells, release_density

_CAM_BLOCK = 64  # cameras per batched transform: bounds the [rows, 3, P] temporaries
_MAX_COORD = 2**19  # |camera position| limit in cells (cell keys hold +-2^20): ~1000 km at 2 m


class _CellTable:
    """Per grid cell, growable arrays of (latent index, visibility words) of the cameras that see it."""

    def __init__(self, words: int) -> None:
        self.words = words
        self._cells: dict[int, list] = {}  # key -> [latents [cap] int64, bits [cap, W] uint64, size]

    def append(self, latent: np.ndarray, keys: np.ndarray, bits: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        latent, keys, bits = latent[order], keys[order], bits[order]
        uniq, first = np.unique(keys, return_index=True)
        bounds = np.append(first, len(keys))
        for key, a, b in zip(uniq.tolist(), bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            entry = self._cells.get(key)
            if entry is None:
                entry = self._cells[key] = [np.empty(8, np.int64), np.empty((8, self.words), np.uint64), 0]
            n, m = entry[2], b - a
            if n + m > len(entry[0]):
                cap = max(2 * len(entry[0]), n + m)
                entry[0] = np.concatenate([entry[0][:n], np.empty(cap - n, np.int64)])
                entry[1] = np.concatenate([entry[1][:n], np.empty((cap - n, self.words), np.uint64)])
            entry[0][n : n + m], entry[1][n : n + m] = latent[a:b], bits[a:b]
            entry[2] = n + m

    def gather(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the cells ``keys`` [U]: latents [R], bits [R, W], rows per cell [U] (rows in key order)."""
        entries = [self._cells.get(key) for key in keys.tolist()]
        sizes = np.array([0 if e is None else e[2] for e in entries], dtype=np.int64)  # [U]
        full = [e for e in entries if e is not None and e[2]]
        if not full:
            return np.zeros(0, np.int64), np.zeros((0, self.words), np.uint64), sizes
        lat = np.concatenate([e[0][: e[2]] for e in full])
        return lat, np.concatenate([e[1][: e[2]] for e in full]), sizes


class MemoryIndex:
    """Visibility bitsets of the latents generated so far; ``add`` as they come, ``similarity`` per query."""

    def __init__(
        self,
        chunk_latents: int = 4,
        offsets: tuple[int, ...] | None = (0, 2),
        num_points: int = 50_000,
        radius: float = 8.0,
        fov_deg: tuple[float, float] = (60.0, 35.0),
        max_dist: float = 8.0,
        points_per_cell: int = 192,
        seed: int = 0,
    ) -> None:
        if points_per_cell % 64:
            raise ValueError(f"points_per_cell must be a multiple of 64, got {points_per_cell}")
        self.chunk_latents = int(chunk_latents)
        self.offsets = None if offsets is None else tuple(sorted(int(o) for o in offsets))
        self._offset_lut = np.zeros(self.chunk_latents, dtype=bool)  # [chunk_latents]: offset indexed?
        if self.offsets is not None:
            if not all(0 <= o < self.chunk_latents for o in self.offsets):
                raise ValueError(
                    f"offsets {self.offsets} must lie in [0, chunk_latents={self.chunk_latents})"
                )
            self._offset_lut[list(self.offsets)] = True
        self.radius, self.max_dist, self.fov_deg = float(radius), float(max_dist), tuple(fov_deg)
        self.tan_h, self.tan_v = half_fov_tangents(self.fov_deg)
        cell = (points_per_cell / release_density(num_points, radius)) ** (1.0 / 3.0)
        self.grid = PointGrid(cell, points_per_cell, seed)
        self.words = points_per_cell // 64
        self._table = _CellTable(self.words)
        self._c2w = np.empty((0, 4, 4), dtype=np.float64)  # every latent added, indexed or not
        self._n = 0
        self._half_h = math.atan(self.tan_h) + 1e-6  # half FOV angles, radians
        self._half_v = math.atan(self.tan_v) + 1e-6

    def __len__(self) -> int:
        return self._n

    @property
    def c2w(self) -> np.ndarray:
        """Poses of every latent added so far: [N, 4, 4] float64 (read-only view)."""
        view = self._c2w[: self._n]
        view.flags.writeable = False
        return view

    def indexed(self, latents: np.ndarray) -> np.ndarray:
        """Which of the latent indices [M] carry bitsets: [M] bool."""
        latents = np.asarray(latents, dtype=np.int64)
        ok = (latents >= 0) & (latents < self._n)
        return ok if self.offsets is None else ok & self._offset_lut[latents % self.chunk_latents]

    def add(self, c2w_latents: np.ndarray) -> None:
        """Append latents (c2w [N, 4, 4], in generation order) and index the ones at ``offsets``."""
        c2w = np.asarray(c2w_latents, dtype=np.float64)
        if c2w.ndim != 3 or c2w.shape[1:] != (4, 4):
            raise ValueError(f"c2w_latents: expected [N, 4, 4] camera-to-world poses, got {list(c2w.shape)}")
        if not np.isfinite(c2w).all():
            raise ValueError("c2w_latents: poses have non-finite values")
        if len(c2w) and np.abs(c2w[:, :3, 3]).max() >= _MAX_COORD * self.grid.cell_size:
            raise ValueError(
                f"c2w_latents: a camera is farther than {_MAX_COORD * self.grid.cell_size:.0f} m from the origin"
            )
        ids = np.arange(self._n, self._n + len(c2w), dtype=np.int64)
        if len(self._c2w) < self._n + len(c2w):
            grown = np.empty((max(2 * len(self._c2w), self._n + len(c2w), 64), 4, 4))
            grown[: self._n] = self._c2w[: self._n]
            self._c2w = grown
        self._c2w[self._n : self._n + len(c2w)] = c2w
        self._n += len(c2w)
        keep = self.indexed(ids)
        for s in range(0, int(keep.sum()), _CAM_BLOCK):
            sel = np.flatnonzero(keep)[s : s + _CAM_BLOCK]
            cam, keys, bits = self.visible_bits(c2w[sel], self.max_dist)
            self._table.append(ids[sel][cam], keys, bits)

    def visible_bits(self, c2w: np.ndarray, dist: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Grid points each camera (c2w [M, 4, 4]) sees within ``dist``, as rows per (camera, cell):
        camera [R] int64, cell key [R] int64, bits [R, W] uint64 (rows with no visible point dropped)."""
        cam, ijk, corner = self._cells_in_view(c2w, dist)  # [R], [R, 3], [R, 3] corner in camera frame
        keys = pack_cells(ijk)  # [R]
        rot_t = np.transpose(c2w[cam, :3, :3], (0, 2, 1)).astype(np.float32)  # [R, 3, 3] world -> camera
        pts = np.matmul(rot_t, self.grid.offsets(keys))  # [R, 3, P] cell points in the camera frame
        pts += corner.astype(np.float32)[:, :, None]
        x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]  # [R, P] each
        ok = np.abs(x) < z * np.float32(self.tan_h)  # the same tests as fov.in_view, on planes
        rho2 = x * x
        rho2 += z * z
        y2 = y * y
        ok &= y2 < np.float32(self.tan_v**2) * rho2
        rho2 += y2
        ok &= rho2 < np.float32(dist * dist)
        bits = np.packbits(ok, axis=1, bitorder="little").view(np.uint64)  # [R, W]
        hit = bits.any(axis=1)
        return cam[hit], keys[hit], np.ascontiguousarray(bits[hit])

    def _cells_in_view(self, c2w: np.ndarray, dist: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(camera [R], cell [R, 3], cell min corner in the camera frame [R, 3]) for the cells that may
        hold a point of the camera's view truncated at ``dist``. Conservative (never drops a cell with a
        visible point): each cell's bounding sphere against the distance, the two yaw half-spaces
        ``|x| cos h < z sin h`` and the pitch cone (centre pitch < v + its angular radius)."""
        s = self.grid.cell_size
        r_cell = s * math.sqrt(3.0) / 2.0
        reach = int(math.ceil(dist / s)) + 1
        g = np.arange(-reach, reach + 1)
        offs = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)  # [K, 3]
        offs = offs[np.linalg.norm(offs, axis=1) * s <= dist + 2.0 * s * math.sqrt(3.0)]
        home = np.floor(c2w[:, :3, 3] / s).astype(np.int64)  # [M, 3]
        ijk = home[:, None] + offs[None]  # [M, K, 3]
        d = np.matmul(
            (ijk + 0.5) * s - c2w[:, None, :3, 3], c2w[:, :3, :3]
        )  # [M, K, 3] centres, camera frame
        x, y, z = d[..., 0], d[..., 1], d[..., 2]
        sin_h, cos_h = math.sin(self._half_h), math.cos(self._half_h)
        sin_v, cos_v = math.sin(self._half_v), math.cos(self._half_v)
        dn2 = x * x + y * y + z * z
        ok = dn2 < (dist + r_cell) ** 2
        ok &= np.abs(x) * cos_h - z * sin_h < r_cell  # sphere reaches both half-spaces |yaw| < h
        # pitch of the centre < v + asin(r / |d|), without trigonometry (always true when |d| < r / cos v)
        ok &= (dn2 < (r_cell / cos_v) ** 2) | (
            np.abs(y) < sin_v * np.sqrt(np.maximum(dn2 - r_cell**2, 0.0)) + cos_v * r_cell
        )
        cam, k = np.nonzero(ok)
        return cam, ijk[cam, k], d[cam, k] - 0.5 * s * c2w[cam, :3, :3].sum(axis=1)

    def similarity(self, query_c2w: np.ndarray, latents: np.ndarray) -> np.ndarray:
        """FOV similarity of the indexed latents [M] to each query camera (c2w [Q, 4, 4]): [Q, M] float64."""
        query = np.asarray(query_c2w, dtype=np.float64)
        if query.ndim != 3 or query.shape[1:] != (4, 4) or not np.isfinite(query).all():
            raise ValueError(f"query_c2w: expected finite [Q, 4, 4] poses, got {list(query.shape)}")
        if np.abs(query[:, :3, 3]).max() >= _MAX_COORD * self.grid.cell_size:
            raise ValueError("query_c2w: a camera is too far from the origin for the grid")
        latents = np.asarray(latents, dtype=np.int64)
        known = self.indexed(latents)
        if not known.all():
            bad = latents[~known][:5].tolist()
            raise ValueError(f"latents {bad} are not in the index (added: {self._n}, offsets {self.offsets})")
        qcam, qkeys, qbits = self.visible_bits(query, self.radius)
        totals = np.bincount(qcam, np.bitwise_count(qbits).sum(axis=1), minlength=len(query))  # [Q]
        if (totals == 0).any():
            raise ValueError("no grid point falls inside a query view: raise num_points or the FOV")
        cells, qpos = np.unique(qkeys, return_inverse=True)  # [U], [Rq]
        lat, bits, sizes = self._table.gather(cells)  # [R], [R, W], [U]
        qwords = np.zeros((len(query), len(cells), self.words), np.uint64)  # [Q, U, W]
        qwords[qcam, qpos] = qbits
        both = np.repeat(qwords, sizes, axis=1)  # [Q, R, W] the query's words of each row's cell
        np.bitwise_and(both, bits[None], out=both)
        ones = np.bitwise_count(both)  # [Q, R, W] uint8
        inter = ones[..., 0].astype(np.int32)  # [Q, R] (a sum over the short last axis is slow in numpy)
        for w in range(1, self.words):
            inter += ones[..., w]
        slot = np.full(self._n, len(latents), np.int64)  # rows of latents not asked for go to a spare bin
        slot[latents] = np.arange(len(latents))
        m = len(latents) + 1
        flat = (slot[lat][None] + m * np.arange(len(query))[:, None]).ravel()  # [Q R]
        counts = np.bincount(flat, inter.ravel(), minlength=len(query) * m).reshape(len(query), m)
        return counts[:, :-1] / totals[:, None]
