"""TUM trajectory read/write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wpdata.geometry import make_se3, read_tum, write_tum

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"


def test_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = 1311868164.0 + np.arange(20) * 0.033
    c2w = make_se3(Rotation.random(20, random_state=0).as_matrix(), rng.normal(size=(20, 3)))
    write_tum(tmp_path / "traj.txt", t, c2w)
    t2, c2w2 = read_tum(tmp_path / "traj.txt")
    np.testing.assert_allclose(t2, t, atol=1e-6)
    np.testing.assert_allclose(c2w2, c2w, atol=1e-8)
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file


def test_parses_tum_order_qx_qy_qz_qw(tmp_path: Path) -> None:
    s = np.sin(np.pi / 4)
    (tmp_path / "a.txt").write_text(f"# comment\n\n0.5 1 2 3 0 0 {s} {s}\n")
    t, c2w = read_tum(tmp_path / "a.txt")
    assert t.tolist() == [0.5]
    np.testing.assert_allclose(c2w[0, :3, :3], [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(c2w[0, :3, 3], [1, 2, 3])


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("0 1 2 3 0 0 0\n")
    with pytest.raises(ValueError, match=r"bad.txt:1: expected 8 columns"):
        read_tum(tmp_path / "bad.txt")
    with pytest.raises(FileNotFoundError):
        read_tum(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="N = len"):
        write_tum(tmp_path / "x.txt", np.zeros(3), np.stack([np.eye(4)] * 2))


def test_reads_real_file() -> None:
    path = REALDATA / "evo_trajectories" / "fr2_desk_groundtruth.txt"
    if not path.is_file():
        pytest.skip(f"realdata folder absent: {REALDATA}")
    t, c2w = read_tum(path)
    assert len(t) == len(c2w) == 20957 and np.all(np.diff(t) >= 0)  # one duplicate stamp in the file
    np.testing.assert_allclose(np.linalg.det(c2w[:, :3, :3]), 1.0, atol=1e-9)
