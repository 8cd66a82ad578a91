"""3DGS .ply: exact round trip, the standard property layout, and readable by open3d as points."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import torch

from wpdata.splat.ply import read_ply, write_ply


@pytest.mark.parametrize("k_rest", [0, 15])
def test_round_trip_is_exact(tmp_path, k_rest):
    g = torch.Generator().manual_seed(0)
    n = 257
    params = {
        "means": torch.randn(n, 3, generator=g),
        "scales": torch.randn(n, 3, generator=g),
        "quats": torch.randn(n, 4, generator=g),
        "opacities": torch.randn(n, generator=g),
        "sh0": torch.randn(n, 1, 3, generator=g),
        "shN": torch.randn(n, k_rest, 3, generator=g),
    }
    path = write_ply(tmp_path / "s.ply", params)
    back = read_ply(path)
    for k, v in params.items():
        np.testing.assert_array_equal(back[k], v.numpy(), err_msg=k)


def test_layout_and_open3d_reads_positions(tmp_path):
    n = 10
    means = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    sh_rest = np.zeros((n, 3, 3), np.float32)
    sh_rest[:, 0, 1] = 7.0  # first rest coefficient of the G channel
    params = {
        "means": means, "scales": np.zeros((n, 3)), "quats": np.tile([1.0, 0, 0, 0], (n, 1)),
        "opacities": np.zeros(n), "sh0": np.zeros((n, 1, 3)), "shN": sh_rest,
    }  # fmt: skip
    path = write_ply(tmp_path / "s.ply", params)
    header = path.read_bytes().split(b"end_header")[0].decode()
    names = [ln.split()[2] for ln in header.splitlines() if ln.startswith("property")]
    assert names[:9] == ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
    assert names[9:18] == [f"f_rest_{i}" for i in range(9)]
    assert names[18:] == ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    raw = np.frombuffer(path.read_bytes().split(b"end_header\n")[1], "<f4").reshape(n, -1)
    assert (raw[:, 9 + 3] == 7.0).all()  # channel-major: R's 3 coefficients, then G's first
    pcd = o3d.io.read_point_cloud(str(path))
    np.testing.assert_array_equal(np.asarray(pcd.points), means)
