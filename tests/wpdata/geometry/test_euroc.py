"""EuRoC ground-truth csv reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.geometry import read_euroc_csv

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"


def test_reads_ns_and_wxyz(tmp_path: Path) -> None:
    s = np.sin(np.pi / 4)
    (tmp_path / "gt.csv").write_text(
        "#timestamp, p_RS_R_x [m], p_RS_R_y [m], p_RS_R_z [m], q_RS_w [], q_RS_x [], q_RS_y [], q_RS_z []\n"
        f"1500000000, 1.0, 2.0, 3.0, {s}, 0, 0, {s}\n"
        f"2000000000, 1.5, 2.0, 3.0, 1, 0, 0, 0\n"
    )
    t, T = read_euroc_csv(tmp_path / "gt.csv")
    np.testing.assert_allclose(t, [1.5, 2.0])
    np.testing.assert_allclose(T[0, :3, :3], [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(T[1, :3, 3], [1.5, 2.0, 3.0])


def test_reads_real_file() -> None:
    path = REALDATA / "evo_trajectories" / "V102_groundtruth.csv"
    if not path.is_file():
        pytest.skip(f"realdata folder absent: {REALDATA}")
    t, T = read_euroc_csv(path)
    assert len(t) == len(T) > 1000
    assert 1.4e9 < t[0] < 1.5e9  # seconds, not nanoseconds


def test_bad_file(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1, 2, 3\n")
    with pytest.raises(ValueError, match="expected 8 or 17 columns"):
        read_euroc_csv(tmp_path / "x.csv")
