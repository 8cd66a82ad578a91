"""ViPE pose/intrinsics npz IO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.geometry import look_at, make_K, read_vipe, write_vipe


def test_round_trip(tmp_path: Path) -> None:
    c2w = np.stack([look_at([i * 0.1, 0, -2], [0, 0, 0], [0, -1, 0]) for i in range(6)])
    K = make_K(300, 300, 160, 120)
    write_vipe(tmp_path, "clip", c2w, K, inds=np.arange(0, 12, 2))
    with np.load(tmp_path / "pose" / "clip.npz") as z:
        assert z["data"].dtype == np.float32 and z["data"].shape == (6, 4, 4)
    with np.load(tmp_path / "intrinsics" / "clip.npz") as z:
        np.testing.assert_allclose(z["data"][0], [300, 300, 160, 120])
    inds, c2w2, K2 = read_vipe(tmp_path, "clip")
    assert inds.tolist() == [0, 2, 4, 6, 8, 10]
    np.testing.assert_allclose(c2w2, c2w, atol=1e-6)
    np.testing.assert_allclose(K2, np.broadcast_to(K, (6, 3, 3)))
    inds3, c2w3, _ = read_vipe(tmp_path / "pose" / "clip.npz")
    np.testing.assert_array_equal(c2w3, c2w2)


def test_missing_key_and_file(tmp_path: Path) -> None:
    (tmp_path / "pose").mkdir()
    np.savez(tmp_path / "pose" / "v.npz", poses=np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="missing key"):
        read_vipe(tmp_path, "v")
    with pytest.raises(FileNotFoundError, match="ViPE file not found"):
        read_vipe(tmp_path, "other")
