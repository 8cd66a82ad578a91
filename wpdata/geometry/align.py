"""Umeyama point-set alignment (SE(3) or Sim(3)), computed exactly as evo's `geometry.umeyama_alignment`.

Reference: S. Umeyama, "Least-squares estimation of transformation parameters between two point
patterns", IEEE PAMI 1991. Written here (not taken from a library) so ATE numbers match evo's.
"""

from __future__ import annotations

import numpy as np


def umeyama(
    src: np.ndarray, dst: np.ndarray, with_scale: bool = False
) -> tuple[np.ndarray, np.ndarray, float]:
    """(R [3, 3], t [3], s) minimising sum ||dst_i - (s R src_i + t)||^2 for src, dst [N, 3]."""
    x = np.asarray(src, dtype=np.float64)
    y = np.asarray(dst, dtype=np.float64)
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"umeyama: src and dst must be equal-shaped [N, D], got {x.shape} and {y.shape}")
    n, m = x.shape
    if n < 2:
        raise ValueError(f"umeyama: need at least 2 points, got {n}")
    mean_x = x.mean(axis=0)
    mean_y = y.mean(axis=0)
    xc = x - mean_x  # [N, D]
    yc = y - mean_y  # [N, D]
    sigma_x = np.sum(xc**2) / n
    cov_xy = yc.T @ xc / n  # [D, D]
    u, d, vt = np.linalg.svd(cov_xy)
    if np.count_nonzero(d > np.finfo(d.dtype).eps) < m - 1:
        raise ValueError("umeyama: degenerate covariance (points are collinear or coincide)")
    S = np.eye(m)
    if np.linalg.det(u) * np.linalg.det(vt) < 0.0:
        S[m - 1, m - 1] = -1.0
    R = u @ S @ vt
    s = float(np.trace(np.diag(d) @ S) / sigma_x) if with_scale else 1.0
    t = mean_y - s * (R @ mean_x)
    return R, t, s


def apply_sim3(c2w: np.ndarray, R: np.ndarray, t: np.ndarray, s: float = 1.0) -> np.ndarray:
    """Apply x -> s R x + t to poses [N, 4, 4] (positions scaled, orientations rotated) like evo."""
    c2w = np.array(c2w, dtype=np.float64)
    out = c2w.copy()
    out[:, :3, :3] = R @ c2w[:, :3, :3]
    out[:, :3, 3] = (s * c2w[:, :3, 3]) @ R.T + t
    return out


def align_trajectory(
    est_c2w: np.ndarray, ref_c2w: np.ndarray, with_scale: bool = False
) -> tuple[np.ndarray, tuple]:
    """Align the estimate [N, 4, 4] to the reference [N, 4, 4] by positions; returns (aligned, (R, t, s))."""
    R, t, s = umeyama(np.asarray(est_c2w)[:, :3, 3], np.asarray(ref_c2w)[:, :3, 3], with_scale)
    return apply_sim3(est_c2w, R, t, s), (R, t, s)
