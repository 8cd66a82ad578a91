import numpy as np
import pytest

from wpmodel.memory.grid import PointGrid, hash_uniform, pack_cells, release_density, unpack_cells


def test_pack_round_trip_and_range_check():
    ijk = np.array([[0, 0, 0], [-5, 7, 1_000_000], [-(2**20), 2**20 - 1, 3]])
    assert np.array_equal(unpack_cells(pack_cells(ijk)), ijk)
    assert len(set(pack_cells(ijk).tolist())) == 3
    with pytest.raises(ValueError, match="too far from the origin"):
        pack_cells(np.array([[2**20, 0, 0]]))


def test_cell_points_do_not_depend_on_request_order():
    keys = pack_cells(np.array([[0, 0, 0], [1, 0, 0], [0, -3, 2], [9, 9, 9]]))
    a = PointGrid(2.0, 64, seed=5).offsets(keys)
    g = PointGrid(2.0, 64, seed=5)
    g.offsets(keys[[3, 1]])  # other cells first, and the cache filled in another order
    b = g.offsets(keys[::-1])[::-1]
    assert a.shape == (4, 3, 64) and np.array_equal(a, b)
    assert not np.array_equal(a[0], a[1])  # every cell has its own points
    assert not np.array_equal(a, PointGrid(2.0, 64, seed=6).offsets(keys))
    small = PointGrid(2.0, 64, seed=5, max_cells=3)  # the cache overflows and starts over
    assert np.array_equal(small.offsets(keys[:2]), a[:2]) and len(small) == 2
    assert np.array_equal(small.offsets(keys[2:]), a[2:]) and len(small) == 2
    assert np.array_equal(small.offsets(keys), a)  # more cells than the cache holds: not cached
    assert np.array_equal(small.generate(keys), a)


def test_points_fill_their_cell_uniformly():
    pts = PointGrid(2.0, 192).offsets(
        pack_cells(np.stack(np.meshgrid(*[np.arange(6)] * 3), -1).reshape(-1, 3))
    )
    assert pts.min() >= 0.0 and pts.max() < 2.0
    per_axis = pts.transpose(1, 0, 2).reshape(3, -1)  # [3, cells * P]
    assert np.abs(per_axis.mean(axis=1) - 1.0).max() < 0.02  # mean of U(0, 2)
    hist = np.histogram(per_axis, bins=8, range=(0, 2))[0] / per_axis.size
    assert np.abs(hist - 1 / 8).max() < 0.005
    u = hash_uniform(np.arange(1000), 64, seed=0)
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.1  # consecutive counters are not correlated


def test_release_density():
    assert release_density() == pytest.approx(23.32, abs=0.01)  # 50k points in a radius-8 ball
