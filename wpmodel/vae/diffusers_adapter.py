"""Pretrained video VAEs from a local folder through diffusers, behind the ``VideoAutoencoder`` API.

Supported ``_class_name`` values (config.json) and their latent normalisation, as their diffusers
pipelines apply it: AutoencoderKLWan ((z - latents_mean) / latents_std, per channel),
AutoencoderKLHunyuanVideo and AutoencoderKLHunyuanVideo15 (z * scaling_factor). Layout is the
project's [B, C, T, H, W] on both sides, which is also diffusers' layout for these models.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor, nn

from wpmodel.vae.posterior import DiagonalGaussian

KINDS = ("AutoencoderKLWan", "AutoencoderKLHunyuanVideo", "AutoencoderKLHunyuanVideo15")


class DiffusersVideoVAE(nn.Module):
    """A diffusers video autoencoder with encode -> DiagonalGaussian, decode -> video, normalize."""

    def __init__(self, model: nn.Module, kind: str) -> None:
        super().__init__()
        self.model, self.kind = model, kind
        cfg = model.config
        if kind == "AutoencoderKLWan":
            self.latent_channels = int(cfg.z_dim)
            shift = torch.tensor(cfg.latents_mean, dtype=torch.float32)  # [C]
            scale = 1.0 / torch.tensor(cfg.latents_std, dtype=torch.float32)  # [C]
            self.temporal_compression = int(cfg.scale_factor_temporal or 4)
            self.spatial_compression = int(cfg.scale_factor_spatial or 8)
        else:
            self.latent_channels = int(cfg.latent_channels)
            shift = torch.zeros(self.latent_channels)
            scale = torch.full((self.latent_channels,), float(cfg.scaling_factor))
            self.temporal_compression = int(cfg.temporal_compression_ratio)
            self.spatial_compression = int(cfg.spatial_compression_ratio)
        if shift.numel() != self.latent_channels or scale.numel() != self.latent_channels:
            raise ValueError(f"{kind}: latent statistics do not have {self.latent_channels} channels")
        self.register_buffer("shift_factor", shift.view(1, -1, 1, 1, 1), persistent=False)
        self.register_buffer("scaling_factor", scale.view(1, -1, 1, 1, 1), persistent=False)

    def encode(self, video: Tensor) -> DiagonalGaussian:
        """Posterior of ``video`` [B, 3, T, H, W] in [-1, 1]."""
        dist = self.model.encode(video.to(self.model.dtype)).latent_dist
        return DiagonalGaussian(dist.mean, dist.logvar)

    def decode(self, z: Tensor) -> Tensor:
        """Video [B, 3, T, H, W] from raw latents [B, C, t, h, w]."""
        return self.model.decode(z.to(self.model.dtype)).sample

    def normalize(self, z: Tensor) -> Tensor:
        return (z - self.shift_factor.to(z)) * self.scaling_factor.to(z)

    def denormalize(self, z: Tensor) -> Tensor:
        return z / self.scaling_factor.to(z) + self.shift_factor.to(z)


def detect_kind(path: str | Path) -> str:
    """The diffusers class named by ``path``/config.json's ``_class_name``."""
    cfg_path = Path(path) / "config.json"
    if not cfg_path.is_file():
        raise FileNotFoundError(f"{cfg_path}: missing (not a diffusers model folder)")
    try:
        name = json.loads(cfg_path.read_text(encoding="utf-8")).get("_class_name")
    except json.JSONDecodeError as exc:
        raise ValueError(f"{cfg_path}: not valid JSON ({exc})") from exc
    if name not in KINDS:
        raise ValueError(f"{cfg_path}: _class_name {name!r} is not a supported video VAE {KINDS}")
    return name


def load_pretrained_vae(
    path: str | Path,
    kind: str = "auto",
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> DiffusersVideoVAE:
    """Load a diffusers video VAE saved in the local folder ``path`` (safetensors weights only)."""
    import diffusers

    kind = detect_kind(path) if kind == "auto" else kind
    if kind not in KINDS:
        raise ValueError(f"unknown VAE kind {kind!r}; supported: {KINDS}")
    cls = getattr(diffusers, kind)
    model = cls.from_pretrained(str(path), use_safetensors=True, local_files_only=True, torch_dtype=dtype)
    model.eval()
    vae = DiffusersVideoVAE(model, kind)
    return vae.to(device) if device is not None else vae
