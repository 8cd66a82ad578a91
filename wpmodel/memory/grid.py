"""World-fixed sample points on a hash grid, for the indexed FOV similarity (``index.py``).

Space is cut into cubic cells of side ``cell_size``; each cell holds ``points_per_cell`` points
uniform in it. A cell's points are a pure function of (seed, integer cell coordinates, point index)
through a counter-based hash (splitmix64), so they do not depend on which cells were asked for
first, nor on the order of queries, and any cell can be generated without its neighbours. numpy's
Generator cannot do this cheaply (one seeded Generator per cell costs ~30 us; thousands of cells are
needed per batch), hence the few lines of hash below. Generated cells are cached (bounded).

The default cell side makes the density that of the release's sample set (50,000 points in a ball of
radius 8, 23.3 per m^3) with 192 points (three 64-bit words) per cell: side 2.02 m.
"""

from __future__ import annotations

import math

import numpy as np

_BITS = 21  # per axis in a packed cell key
_OFFSET = 1 << (_BITS - 1)  # cell coordinates must lie in [-2^20, 2^20)
_M = np.uint64((1 << _BITS) - 1)


def release_density(num_points: int = 50_000, radius: float = 8.0) -> float:
    """Points per m^3 of the release's sample set: num_points uniform in a ball of ``radius``."""
    return num_points / (4.0 / 3.0 * math.pi * radius**3)


def pack_cells(ijk: np.ndarray) -> np.ndarray:
    """Integer cell coordinates [R, 3] -> one int64 key each [R] (21 bits per axis)."""
    ijk = np.asarray(ijk, dtype=np.int64)
    if ijk.size and (ijk.min() < -_OFFSET or ijk.max() >= _OFFSET):
        raise ValueError(f"cell coordinates outside [-{_OFFSET}, {_OFFSET}): camera too far from the origin")
    u = (ijk + _OFFSET).astype(np.uint64)
    return ((u[:, 0] << np.uint64(2 * _BITS)) | (u[:, 1] << np.uint64(_BITS)) | u[:, 2]).astype(np.int64)


def unpack_cells(keys: np.ndarray) -> np.ndarray:
    """Inverse of ``pack_cells``: [R] int64 -> [R, 3] int64."""
    u = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    ijk = np.stack([u >> np.uint64(2 * _BITS), (u >> np.uint64(_BITS)) & _M, u & _M], axis=1)
    return ijk.astype(np.int64) - _OFFSET


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hash_uniform(keys: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` uniform floats in [0, 1) per key, from (seed, key, index) only: [R, count] float32."""
    k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    base = _splitmix64(k ^ _splitmix64(np.full(1, seed, dtype=np.uint64)))  # [R]
    ctr = base[:, None] + np.arange(count, dtype=np.uint64)[None] * np.uint64(0xD1B54A32D192ED03)
    return ((_splitmix64(ctr) >> np.uint64(40)).astype(np.float32)) * np.float32(2.0**-24)


class PointGrid:
    """World-fixed points: ``points_per_cell`` uniform points per cubic cell of side ``cell_size``.

    Generated cells are cached, at most ``max_cells`` of them (~19 MB at 192 points); a request that
    would overflow the cache empties it first (cells are regenerated identically when asked again).
    """

    def __init__(self, cell_size: float, points_per_cell: int, seed: int = 0, max_cells: int = 8192) -> None:
        if cell_size <= 0 or points_per_cell < 1 or max_cells < 1:
            raise ValueError(
                f"need cell_size > 0, points_per_cell >= 1 and max_cells >= 1, "
                f"got {cell_size}, {points_per_cell}, {max_cells}"
            )
        self.cell_size = float(cell_size)
        self.points_per_cell = int(points_per_cell)
        self.seed = int(seed)
        self.max_cells = int(max_cells)
        self._slot: dict[int, int] = {}
        self._store = np.empty((0, 3, self.points_per_cell), dtype=np.float32)  # [S, 3, P]
        self._size = 0

    def __len__(self) -> int:
        """Cells in the cache."""
        return self._size

    def generate(self, keys: np.ndarray) -> np.ndarray:
        """Points of the cells ``keys`` [R] (uncached) relative to each min corner, metres: [R, 3, P] float32."""
        new = hash_uniform(keys, 3 * self.points_per_cell, self.seed)
        return new.reshape(len(keys), 3, self.points_per_cell) * np.float32(self.cell_size)

    def offsets(self, keys: np.ndarray) -> np.ndarray:
        """Points of the cells ``keys`` [R] relative to each cell's min corner, metres: [R, 3, P] float32."""
        keys = np.asarray(keys, dtype=np.int64)
        uniq, inverse = np.unique(keys, return_inverse=True)
        if len(uniq) > self.max_cells:
            return self.generate(uniq)[inverse]
        slots = np.fromiter((self._slot.get(int(k), -1) for k in uniq), dtype=np.int64, count=len(uniq))
        missing = np.flatnonzero(slots < 0)
        if self._size + len(missing) > self.max_cells:  # full: start over
            self._slot.clear()
            self._size = 0
            slots[:] = -1
            missing = np.arange(len(uniq))
        if len(missing):
            self._grow(len(missing))
            self._store[self._size : self._size + len(missing)] = self.generate(uniq[missing])
            slots[missing] = np.arange(self._size, self._size + len(missing))
            self._slot.update(zip(uniq[missing].tolist(), slots[missing].tolist(), strict=True))
            self._size += len(missing)
        return self._store[slots[inverse]]

    def _grow(self, extra: int) -> None:
        need = self._size + extra
        if need > len(self._store):
            cap = min(max(need, 2 * len(self._store), 256), self.max_cells)
            store = np.empty((cap, 3, self.points_per_cell), np.float32)
            store[: self._size] = self._store[: self._size]
            self._store = store
