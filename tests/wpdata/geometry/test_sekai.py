"""Sekai-style camera npz IO (OpenGL on disk, OpenCV in memory)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.geometry import look_at, make_K, read_sekai_npz, write_sekai_npz


def test_round_trip_and_on_disk_convention(tmp_path: Path) -> None:
    c2w = np.stack([look_at([0, 0, -2 + 0.1 * i], [0, 0, 5], [0, -1, 0]) for i in range(4)])  # OpenCV
    K = make_K(640, 640, 640, 360)
    path = write_sekai_npz(tmp_path / "clip.npz", c2w, K)
    with np.load(path) as z:
        assert z["extrinsic"].dtype == np.float32
        np.testing.assert_allclose(
            z["extrinsic"][0, :3, 2], -c2w[0, :3, 2], atol=1e-7
        )  # OpenGL looks down -z
    c2w2, K2 = read_sekai_npz(path)
    np.testing.assert_allclose(c2w2, c2w, atol=1e-6)
    np.testing.assert_allclose(K2, K)


def test_bad_npz(tmp_path: Path) -> None:
    np.savez(tmp_path / "x.npz", extrinsic=np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="missing key 'intrinsic'"):
        read_sekai_npz(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", extrinsic=np.zeros((2, 3, 4)), intrinsic=np.eye(3))
    with pytest.raises(ValueError, match=r"\[N, 4, 4\]"):
        read_sekai_npz(tmp_path / "y.npz")
