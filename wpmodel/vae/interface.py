"""What every video VAE of the project offers (ours and wrapped diffusers ones), as a Protocol."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor

from wpmodel.vae.posterior import DiagonalGaussian


@runtime_checkable
class VideoAutoencoder(Protocol):
    """Video [B, 3, T, H, W] in [-1, 1] <-> raw latents [B, C, t, h, w]; normalize() maps raw latents
    into the diffusion model's space ((z - shift) * scale; shift/scale scalars or per channel)."""

    latent_channels: int
    temporal_compression: int
    spatial_compression: int

    def encode(self, video: Tensor) -> DiagonalGaussian: ...

    def decode(self, z: Tensor) -> Tensor: ...

    def normalize(self, z: Tensor) -> Tensor: ...

    def denormalize(self, z: Tensor) -> Tensor: ...
