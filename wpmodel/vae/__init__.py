"""Video VAEs: the project's causal 3D VAE (8x space, 4x time, first frame alone) and pretrained
diffusers VAEs behind the same interface (``VideoAutoencoder``).

Modules: ``config`` (VAEConfig, presets), ``layers`` (CausalConv3d, CausalCache, ...), ``causal_vae``
(VideoVAE), ``posterior`` (DiagonalGaussian), ``latent_stats``, ``io`` (save_vae/load_vae), ``losses``,
``diffusers_adapter`` (load_pretrained_vae; imports diffusers lazily), ``train_config``/``train``
(train_vae), ``samples`` (reconstruction PNG/mp4).
"""

from wpmodel.vae.causal_vae import VideoVAE
from wpmodel.vae.config import PRESETS, VAEConfig, vae_config
from wpmodel.vae.diffusers_adapter import DiffusersVideoVAE, load_pretrained_vae
from wpmodel.vae.interface import VideoAutoencoder
from wpmodel.vae.io import load_vae, save_vae
from wpmodel.vae.latent_stats import latent_stats
from wpmodel.vae.layers import CausalCache, CausalConv3d
from wpmodel.vae.losses import VAELoss, ssim, vae_loss
from wpmodel.vae.posterior import DiagonalGaussian
from wpmodel.vae.train import TrainVAEResult, train_vae
from wpmodel.vae.train_config import TrainVAEConfig, load_train_vae_config

__all__ = [
    "PRESETS",
    "CausalCache",
    "CausalConv3d",
    "DiagonalGaussian",
    "DiffusersVideoVAE",
    "TrainVAEConfig",
    "TrainVAEResult",
    "VAEConfig",
    "VAELoss",
    "VideoAutoencoder",
    "VideoVAE",
    "latent_stats",
    "load_pretrained_vae",
    "load_train_vae_config",
    "load_vae",
    "save_vae",
    "ssim",
    "train_vae",
    "vae_config",
    "vae_loss",
]
