"""The VAE posterior: a diagonal Gaussian over latents [B, C, T, h, w]."""

from __future__ import annotations

import torch
from torch import Tensor


class DiagonalGaussian:
    """N(mean, exp(logvar)) per latent element; logvar clamped to [logvar_min, logvar_max]."""

    def __init__(self, mean: Tensor, logvar: Tensor, logvar_min: float = -30.0, logvar_max: float = 20.0):
        if mean.shape != logvar.shape:
            raise ValueError(f"mean {tuple(mean.shape)} and logvar {tuple(logvar.shape)} differ in shape")
        self.mean = mean  # [B, C, T, h, w]
        self.logvar = logvar.clamp(logvar_min, logvar_max)  # [B, C, T, h, w]

    @classmethod
    def from_moments(cls, moments: Tensor, **clamp: float) -> DiagonalGaussian:
        """Split [B, 2C, ...] into mean (first C channels) and logvar (last C)."""
        mean, logvar = moments.chunk(2, dim=1)
        return cls(mean, logvar, **clamp)

    @property
    def std(self) -> Tensor:
        return torch.exp(0.5 * self.logvar)

    @property
    def var(self) -> Tensor:
        return torch.exp(self.logvar)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """mean + std * eps, eps ~ N(0, I) (from ``generator`` when given)."""
        eps = torch.randn(
            self.mean.shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype
        )
        return self.mean + self.std * eps

    def mode(self) -> Tensor:
        return self.mean

    def kl(self) -> Tensor:
        """KL(q || N(0, I)) per batch element, summed over the other dims: [B]."""
        terms = self.mean.float().pow(2) + self.var.float() - 1.0 - self.logvar.float()
        return 0.5 * terms.flatten(1).sum(dim=1)
