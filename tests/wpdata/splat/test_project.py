"""Projection of 3D Gaussians: parity with gsplat's pure-torch reference, opacity-aware radii, gradients."""

from __future__ import annotations

import math

import pytest
import torch
from gsplat.cuda._torch_impl import _fully_fused_projection, _quat_scale_to_covar_preci

from wpdata.splat.project import ALPHA_THRESHOLD, camera_position, covariances, project_gaussians


def _scene(n: int, seed: int, dtype=torch.float32):
    """Gaussians around a camera looking down +z: most in front, some behind, some far off screen."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(n, 3, generator=g, dtype=dtype) * torch.tensor([3.0, 2.0, 2.0], dtype=dtype)
    means[:, 2] += 2.0  # about a fifth end up behind the camera
    quats = torch.randn(n, 4, generator=g, dtype=dtype)
    scales = torch.exp(torch.randn(n, 3, generator=g, dtype=dtype) * 0.5 - 2.5)
    opacities = torch.rand(n, generator=g, dtype=dtype)
    return means, quats, scales, opacities


def _camera(width: int, height: int, dtype=torch.float32):
    """A rotated, translated world-to-camera matrix and a pixel K with an off-centre principal point."""
    a = 0.3
    R = torch.tensor([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]], dtype=dtype)
    viewmat = torch.eye(4, dtype=dtype)
    viewmat[:3, :3], viewmat[:3, 3] = R, torch.tensor([0.2, -0.1, 0.5], dtype=dtype)
    K = torch.tensor(
        [[0.9 * width, 0, 0.45 * width], [0, 0.9 * width, 0.55 * height], [0, 0, 1]], dtype=dtype
    )
    return viewmat, K


def test_covariances_match_gsplat():
    means, quats, scales, _ = _scene(200, 0)
    ref, _ = _quat_scale_to_covar_preci(quats, scales, compute_preci=False)
    torch.testing.assert_close(covariances(quats, scales), ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("width,height", [(64, 48), (40, 24)])
def test_projection_matches_gsplat_torch_reference(width, height):
    means, quats, scales, _ = _scene(500, 1)
    viewmat, K = _camera(width, height)
    p = project_gaussians(means, quats, scales, viewmat, K, width, height)
    covars, _ = _quat_scale_to_covar_preci(quats, scales, compute_preci=False)
    radii, means2d, depths, conics, _ = _fully_fused_projection(
        means, covars, viewmat[None], K[None], width, height
    )
    vis = (radii[0] > 0).all(-1)
    assert 50 < int(vis.sum()) < 500  # culled ones (behind, off screen) and kept ones both occur
    assert torch.equal(p.radii, radii[0])
    torch.testing.assert_close(p.depths, depths[0], rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(p.means2d[vis], means2d[0][vis], rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(p.conics[vis], conics[0][vis], rtol=1e-4, atol=1e-6)


def test_opacity_aware_radii_bound_every_visible_alpha():
    means, quats, scales, opacities = _scene(500, 2)
    opacities[:20] = 0.001  # below 1/255: never drawn
    viewmat, K = _camera(64, 48)
    plain = project_gaussians(means, quats, scales, viewmat, K, 64, 48)
    tight = project_gaussians(means, quats, scales, viewmat, K, 64, 48, opacities=opacities)
    assert (tight.radii[:20] == 0).all()
    assert (tight.radii <= plain.radii).all() and (tight.radii < plain.radii).any()
    vis = (tight.radii > 0).all(-1)
    a, b, c = tight.conics[vis].unbind(-1)
    det = a * c - b * b
    var_x, var_y = c / det, a / det  # diagonal of the 2D covariance
    rx, ry = tight.radii[vis].float().unbind(-1)
    # the largest alpha on the box's edge lines is below the threshold
    assert (opacities[vis] * torch.exp(-0.5 * rx**2 / var_x) < ALPHA_THRESHOLD * 1.0001).all()
    assert (opacities[vis] * torch.exp(-0.5 * ry**2 / var_y) < ALPHA_THRESHOLD * 1.0001).all()


def test_projection_gradients_are_exact():
    means, quats, scales, _ = _scene(6, 3, torch.float64)
    means[:, 2] = means[:, 2].abs() + 2.0
    viewmat, K = _camera(32, 32, torch.float64)

    def f(m, q, s):
        p = project_gaussians(m, q, s, viewmat, K, 32, 32)
        return p.means2d, p.conics, p.depths

    inputs = [x.clone().requires_grad_() for x in (means, quats, scales)]
    assert torch.autograd.gradcheck(f, inputs)


def test_camera_position_inverts_the_viewmat():
    viewmat, _ = _camera(32, 32, torch.float64)
    torch.testing.assert_close(camera_position(viewmat), torch.linalg.inv(viewmat)[:3, 3])
