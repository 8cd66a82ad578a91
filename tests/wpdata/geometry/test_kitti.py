"""KITTI pose file read/write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import make_se3, read_kitti, write_kitti

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"


def test_round_trip_and_row_major_layout(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    c2w = make_se3(Rotation.random(10, random_state=1).as_matrix(), rng.normal(size=(10, 3)) * 100)
    write_kitti(tmp_path / "poses.txt", c2w)
    np.testing.assert_allclose(read_kitti(tmp_path / "poses.txt"), c2w, rtol=1e-9, atol=1e-12)
    first = [float(v) for v in (tmp_path / "poses.txt").read_text().splitlines()[0].split()]
    np.testing.assert_allclose(first[3], c2w[0, 0, 3], rtol=1e-9)  # 4th number = tx
    np.testing.assert_allclose(first[4:8], c2w[0, 1, :4], rtol=1e-9)


def test_bad_file(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("1 0 0 0 0 1 0 0 0 0 1\n")
    with pytest.raises(ValueError, match="expected 12 columns"):
        read_kitti(tmp_path / "bad.txt")


def test_reads_real_file() -> None:
    path = REALDATA / "evo_trajectories" / "KITTI_00_gt.txt"
    if not path.is_file():
        pytest.skip(f"realdata folder absent: {REALDATA}")
    c2w = read_kitti(path)
    assert c2w.shape == (4541, 4, 4)
    np.testing.assert_allclose(c2w[0], np.eye(4), atol=1e-6)
