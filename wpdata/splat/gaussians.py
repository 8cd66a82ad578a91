"""Gaussian parameters (gsplat's layout) and their initialisation from sparse points or at random.

A ``torch.nn.ParameterDict`` with ``means`` [N, 3], ``scales`` [N, 3] (log), ``quats`` [N, 4] (wxyz,
unnormalised), ``opacities`` [N] (logit), ``sh0`` [N, 1, 3] and ``shN`` [N, K-1, 3] (SH coefficients,
K = (degree + 1)^2), so gsplat's DefaultStrategy / MCMCStrategy can operate on it unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import Delaunay, QhullError, cKDTree

SH_C0 = 0.28209479177387814  # zeroth SH basis constant: colour = SH_C0 * sh0 + 0.5


def num_sh_bases(degree: int) -> int:
    """Number of SH coefficients per channel for ``degree``."""
    return (degree + 1) ** 2


def rgb_to_sh0(rgb: torch.Tensor) -> torch.Tensor:
    """DC SH coefficient from colour in [0, 1] (same shape)."""
    return (rgb - 0.5) / SH_C0


def make_params(
    means: np.ndarray, rgb: np.ndarray, sh_degree: int, init_opacity: float = 0.1, scale_mult: float = 1.0
) -> torch.nn.ParameterDict:
    """Gaussians at ``means`` [N, 3] with colours ``rgb`` [N, 3] in [0, 1]; scales from 3-NN distances."""
    n = len(means)
    if n < 4:
        raise ValueError(f"need at least 4 points to initialise Gaussians, got {n}")
    d, _ = cKDTree(means).query(means, k=4)  # [N, 4], first column is the point itself
    dist = np.sqrt((d[:, 1:] ** 2).mean(-1)).clip(1e-7)  # [N]
    means_t = torch.as_tensor(means, dtype=torch.float32)
    rgb_t = torch.as_tensor(rgb, dtype=torch.float32).clamp(0, 1)
    logit = float(np.log(init_opacity / (1 - init_opacity)))
    quats = torch.zeros(n, 4)
    quats[:, 0] = 1.0
    return torch.nn.ParameterDict(
        {
            "means": torch.nn.Parameter(means_t),  # [N, 3]
            "scales": torch.nn.Parameter(
                torch.log(torch.as_tensor(dist * scale_mult, dtype=torch.float32))[:, None].repeat(1, 3)
            ),  # [N, 3]
            "quats": torch.nn.Parameter(quats),  # [N, 4]
            "opacities": torch.nn.Parameter(torch.full((n,), logit)),  # [N]
            "sh0": torch.nn.Parameter(rgb_to_sh0(rgb_t)[:, None, :]),  # [N, 1, 3]
            "shN": torch.nn.Parameter(torch.zeros(n, num_sh_bases(sh_degree) - 1, 3)),  # [N, K-1, 3]
        }
    )


def clean_points(
    xyz: np.ndarray, rgb: np.ndarray, voxel_size: float = 0.0, nb_neighbors: int = 20, std_ratio: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Open3d statistical outlier removal, then voxel downsampling (when ``voxel_size`` > 0)."""
    import open3d as o3d  # here, not at the top: a heavy import that random init and GPU images do without

    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(xyz, np.float64)))
    pcd.colors = o3d.utility.Vector3dVector(np.asarray(rgb, np.float64) / 255.0)
    if len(xyz) > nb_neighbors:
        pcd, _ = pcd.remove_statistical_outlier(nb_neighbors=nb_neighbors, std_ratio=std_ratio)
    if voxel_size > 0:
        pcd = pcd.voxel_down_sample(voxel_size)
    return np.asarray(pcd.points), (np.asarray(pcd.colors) * 255.0)


def init_from_points(
    xyz: np.ndarray,
    rgb: np.ndarray,
    sh_degree: int,
    voxel_size: float = 0.0,
    init_opacity: float = 0.1,
    scale_mult: float = 1.0,
) -> torch.nn.ParameterDict:
    """Gaussians on sparse points ``xyz`` [P, 3] with colours ``rgb`` [P, 3] uint8 (cleaned first)."""
    pts, cols = clean_points(xyz, rgb, voxel_size)
    return make_params(pts, cols / 255.0, sh_degree, init_opacity, scale_mult)


def init_random(
    c2w: np.ndarray, n: int, sh_degree: int, seed: int = 0, init_opacity: float = 0.1, scale_mult: float = 1.0
) -> torch.nn.ParameterDict:
    """``n`` Gaussians uniform inside the hull of the camera centres and their look-at points.

    Look-at points are the centres moved along the viewing direction by their median distance to
    the origin (the scene's focus after normalisation), so the hull covers what the cameras see.
    """
    centres = c2w[:, :3, 3]  # [N, 3]
    ahead = centres + c2w[:, :3, 2] * np.median(np.linalg.norm(centres, axis=1))
    hull_pts = np.concatenate([centres, ahead])  # [2N, 3]
    lo, hi = hull_pts.min(0), hull_pts.max(0)
    rng = np.random.default_rng(seed)
    try:
        hull = Delaunay(hull_pts)
    except QhullError:  # degenerate (e.g. coplanar): the bounding box
        hull = None
    out = np.zeros((0, 3))
    while len(out) < n:
        cand = rng.uniform(lo, hi, size=(max(4 * n, 1024), 3))
        if hull is not None:
            cand = cand[hull.find_simplex(cand) >= 0]
        out = np.concatenate([out, cand])
    return make_params(out[:n], rng.uniform(0, 1, size=(n, 3)), sh_degree, init_opacity, scale_mult)


def activated(params: torch.nn.ParameterDict) -> dict[str, torch.Tensor]:
    """Rasterizer inputs: means, unit quats, linear scales, opacities in (0, 1), SH [N, K, 3]."""
    return {
        "means": params["means"],  # [N, 3]
        "quats": torch.nn.functional.normalize(params["quats"], dim=-1),  # [N, 4]
        "scales": torch.exp(params["scales"]),  # [N, 3]
        "opacities": torch.sigmoid(params["opacities"]),  # [N]
        "sh": torch.cat([params["sh0"], params["shN"]], 1),  # [N, K, 3]
    }
