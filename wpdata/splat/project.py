"""Projection of 3D Gaussians to the image plane (EWA splatting) in gsplat's conventions, in torch.

gsplat's own pure-torch projection (``gsplat.cuda._torch_impl._fully_fused_projection``) is private API
and batched over cameras; the CUDA kernel that ``gsplat.rasterization`` runs additionally tightens the
radii with the opacity (arXiv 2402.00525, B.2). This module is the single-camera form of the former
with the latter's opacity-aware radii as an option, so that CPU and CUDA renders report the same radii.
Conventions: world-to-camera OpenCV ``viewmat``, pixel ``K`` (pixel centres at +0.5), linear scales,
wxyz quaternions, ``eps2d`` dilation always applied.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

ALPHA_THRESHOLD = 1.0 / 255.0  # gsplat's: weaker alphas are skipped


class Projection(NamedTuple):
    """Screen-space Gaussians; entries with ``radii`` 0 on either axis are culled."""

    means2d: torch.Tensor  # [N, 2] pixels
    conics: torch.Tensor  # [N, 3] upper triangle of the inverse 2D covariance (a, b, c)
    depths: torch.Tensor  # [N] camera-space z
    radii: torch.Tensor  # [N, 2] int32 half extents in pixels


def quat_to_rotmat(quats: torch.Tensor) -> torch.Tensor:
    """Rotation matrices [..., 3, 3] from (unnormalised) wxyz quaternions [..., 4]."""
    w, x, y, z = F.normalize(quats, p=2, dim=-1).unbind(-1)
    R = torch.stack(
        [
            1 - 2 * (y**2 + z**2), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x**2 + z**2), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x**2 + y**2),
        ],
        dim=-1,
    )  # fmt: skip
    return R.reshape(quats.shape[:-1] + (3, 3))


def covariances(quats: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """World covariances R S S^T R^T [N, 3, 3] from quaternions [N, 4] and linear scales [N, 3]."""
    M = quat_to_rotmat(quats) * scales[..., None, :]  # [N, 3, 3]
    return M @ M.transpose(-1, -2)


def project_gaussians(
    means: torch.Tensor,  # [N, 3]
    quats: torch.Tensor,  # [N, 4] wxyz
    scales: torch.Tensor,  # [N, 3] linear
    viewmat: torch.Tensor,  # [4, 4] world-to-camera, OpenCV
    K: torch.Tensor,  # [3, 3] pixel intrinsics
    width: int,
    height: int,
    eps2d: float = 0.3,
    near_plane: float = 0.01,
    far_plane: float = 1e10,
    opacities: torch.Tensor | None = None,  # [N]; given: gsplat CUDA's opacity-aware radii
) -> Projection:
    """Perspective EWA projection; differentiable in means2d, conics and depths (radii are not)."""
    R, t = viewmat[:3, :3], viewmat[:3, 3]
    means_c = means @ R.T + t  # [N, 3]
    covars_c = R @ covariances(quats, scales) @ R.T  # [N, 3, 3]
    tx, ty, tz = means_c.unbind(-1)  # [N]
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    tan_fovx, tan_fovy = 0.5 * width / fx, 0.5 * height / fy
    lim_x_pos, lim_x_neg = (width - cx) / fx + 0.3 * tan_fovx, cx / fx + 0.3 * tan_fovx
    lim_y_pos, lim_y_neg = (height - cy) / fy + 0.3 * tan_fovy, cy / fy + 0.3 * tan_fovy
    txc = tz * torch.clamp(tx / tz, min=-lim_x_neg, max=lim_x_pos)  # [N] clamped for the Jacobian only
    tyc = tz * torch.clamp(ty / tz, min=-lim_y_neg, max=lim_y_pos)
    zero = torch.zeros_like(tz)
    J = torch.stack([fx / tz, zero, -fx * txc / tz**2, zero, fy / tz, -fy * tyc / tz**2], -1).reshape(
        -1, 2, 3
    )
    cov2d = J @ covars_c @ J.transpose(-1, -2)  # [N, 2, 2]
    means2d = (means_c @ K[:2, :3].T) / tz[:, None]  # [N, 2]
    cov2d = cov2d + torch.eye(2, dtype=cov2d.dtype, device=cov2d.device) * eps2d
    det = (cov2d[:, 0, 0] * cov2d[:, 1, 1] - cov2d[:, 0, 1] * cov2d[:, 1, 0]).clamp(min=1e-10)  # [N]
    conics = torch.stack(
        [cov2d[:, 1, 1] / det, -(cov2d[:, 0, 1] + cov2d[:, 1, 0]) / 2.0 / det, cov2d[:, 0, 0] / det], -1
    )  # [N, 3]
    with torch.no_grad():
        valid = (det > 0) & (tz > near_plane) & (tz < far_plane)  # [N]
        extend = torch.full_like(tz, 3.33)
        if opacities is not None:
            op = opacities.detach().to(tz.dtype)
            valid &= op >= ALPHA_THRESHOLD
            extend = torch.minimum(extend, torch.sqrt(2.0 * torch.log(op.clamp(min=ALPHA_THRESHOLD) * 255.0)))
        radius = torch.ceil(extend[:, None] * torch.sqrt(torch.stack([cov2d[:, 0, 0], cov2d[:, 1, 1]], -1)))
        if opacities is not None:  # the CUDA kernel drops a Gaussian whose both radii are 0
            valid &= (radius > 0).any(-1)
        inside = (
            (means2d[:, 0] + radius[:, 0] > 0)
            & (means2d[:, 0] - radius[:, 0] < width)
            & (means2d[:, 1] + radius[:, 1] > 0)
            & (means2d[:, 1] - radius[:, 1] < height)
        )
        radius[~(valid & inside)] = 0.0
    return Projection(means2d, conics, tz, radius.int())


def camera_position(viewmat: torch.Tensor) -> torch.Tensor:
    """World position [3] of the camera of a world-to-camera ``viewmat`` [4, 4]."""
    return -viewmat[:3, :3].T @ viewmat[:3, 3]
