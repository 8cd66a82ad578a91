"""Initialisation: outliers removed, voxel downsampling, scales from neighbour spacing, random in the hull."""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import Delaunay

from wpdata.geometry import look_at
from wpdata.splat.gaussians import SH_C0, activated, init_from_points, init_random


def _grid(step=0.1, n=20):
    g = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), -1).reshape(-1, 2) * step
    return np.c_[g, np.zeros(len(g))]  # [n*n, 3] a plane


def test_points_init_removes_outliers_and_sets_scales_and_colours():
    pts = np.concatenate([_grid(), [[50.0, 50.0, 50.0]]])
    cols = np.full((len(pts), 3), 200, np.uint8)
    p = init_from_points(pts, cols, sh_degree=2)
    n = len(p["means"])
    assert n == 400  # the far point is gone
    assert p["shN"].shape == (n, 8, 3) and p["sh0"].shape == (n, 1, 3)
    scales = torch.exp(p["scales"]).detach()
    # grid spacing 0.1: neighbours at 0.1, 0.1, 0.1 (interior) -> rms 0.1
    assert abs(torch.median(scales).item() - 0.1) < 1e-6
    rgb = SH_C0 * p["sh0"][:, 0] + 0.5
    assert torch.allclose(rgb, torch.full_like(rgb, 200 / 255), atol=1e-6)
    a = activated(p)
    assert (
        torch.allclose(a["quats"].norm(dim=-1), torch.ones(n)) and (a["opacities"] - 0.1).abs().max() < 1e-6
    )


def test_voxel_downsampling_reduces_count():
    pts = _grid(step=0.05, n=40)
    p = init_from_points(pts, np.zeros((len(pts), 3), np.uint8), sh_degree=0, voxel_size=0.2)
    assert 50 <= len(p["means"]) <= 120  # 2 m square / 0.2 m voxels ~ 100


def test_random_init_lies_inside_the_camera_hull():
    ang = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    eyes = np.c_[np.cos(ang), np.sin(ang), 0.3 * np.sin(3 * ang)]
    c2w = np.stack([look_at(e, np.zeros(3), up=np.array([0.0, 0, -1])) for e in eyes])
    p = init_random(c2w, 2000, sh_degree=1, seed=0)
    m = p["means"].detach().numpy()
    assert m.shape == (2000, 3)
    hull = Delaunay(np.concatenate([eyes, eyes + c2w[:, :3, 2]]))
    assert (hull.find_simplex(m) >= 0).all()
    assert np.abs(m).max() <= 1.0 + 1e-6 and m.std(0).min() > 0.05
