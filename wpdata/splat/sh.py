"""View-dependent colour from spherical-harmonics coefficients, as ``gsplat.rasterization`` computes it.

The SH basis is gsplat's own pure-torch ``_spherical_harmonics`` (runs on CPU, differentiable); this
module only adds what ``rasterization`` does around it: view directions from the camera centre and
the +0.5 offset clamped at 0.
"""

from __future__ import annotations

import torch
from gsplat.cuda._torch_impl import _spherical_harmonics


def num_sh_bases(degree: int) -> int:
    """Number of SH coefficients per channel for ``degree`` (0..4)."""
    return (degree + 1) ** 2


def sh_to_rgb(
    sh: torch.Tensor,  # [N, K, 3]
    means: torch.Tensor,  # [N, 3] world
    campos: torch.Tensor,  # [3] world camera centre
    degree: int,
) -> torch.Tensor:
    """Colours [N, 3] = max(SH_degree(means - campos) + 0.5, 0), gsplat's rule."""
    if num_sh_bases(degree) > sh.shape[-2]:
        raise ValueError(f"sh_degree {degree} needs {num_sh_bases(degree)} coefficients, got {sh.shape[-2]}")
    dirs = means - campos[None, :]  # [N, 3]
    return torch.clamp_min(_spherical_harmonics(degree, dirs, sh) + 0.5, 0.0)
