"""A causal 3D convolutional video VAE: 8x spatial and 4x temporal compression, first frame alone.

Video [B, 3, T, H, W] in [-1, 1] with T = 1 + 4k -> latents [B, C, 1 + k, H/8, W/8]. Latent 0 encodes
video frame 0 alone; latent i >= 1 encodes frames 4i-3 .. 4i (and, through the causal convolutions, only
frames before them), so latent i "uses frame 4i" (REFERENCE.md). The decoder mirrors it: latent i
decodes to frames 4i-3 .. 4i and never looks at later latents. Layers: ``wpmodel.vae.layers``.

Written here rather than taken from diffusers: the project trains its own VAE on its shards and needs
the chunk-by-chunk (``CausalCache``) encode/decode and the exact causality contract tested above;
pretrained diffusers VAEs are wrapped by ``wpmodel.vae.diffusers_adapter`` with the same interface.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wpmodel.vae.config import VAEConfig
from wpmodel.vae.layers import CausalCache, CausalConv3d, Downsample, FrameGroupNorm, ResBlock, Upsample
from wpmodel.vae.posterior import DiagonalGaussian


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        chs = [cfg.base_channels * m for m in cfg.channel_mult]
        g, p = cfg.norm_groups, cfg.dropout
        self.conv_in = CausalConv3d(cfg.in_channels, chs[0], 3)
        self.levels = nn.ModuleList()
        prev = chs[0]
        for i, ch in enumerate(chs):
            level = nn.Module()
            level.blocks = nn.ModuleList(
                [ResBlock(prev if j == 0 else ch, ch, g, p) for j in range(cfg.num_res_blocks)]
            )
            level.down = Downsample(ch, cfg.temporal_downsample[i]) if i < len(chs) - 1 else None
            self.levels.append(level)
            prev = ch
        self.mid = nn.ModuleList([ResBlock(prev, prev, g, p), ResBlock(prev, prev, g, p)])
        self.norm_out = FrameGroupNorm(g, prev)
        self.conv_out = CausalConv3d(prev, 2 * cfg.latent_channels, 3)

    def forward(self, x: Tensor, cache: CausalCache | None = None) -> Tensor:  # -> [B, 2C, t, h, w]
        h = self.conv_in(x, cache)
        for level in self.levels:
            for block in level.blocks:
                h = block(h, cache)
            if level.down is not None:
                h = level.down(h, cache)
        for block in self.mid:
            h = block(h, cache)
        return self.conv_out(F.silu(self.norm_out(h)), cache)


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        chs = [cfg.base_channels * m for m in cfg.channel_mult]
        g, p = cfg.norm_groups, cfg.dropout
        self.conv_in = CausalConv3d(cfg.latent_channels, chs[-1], 3)
        self.mid = nn.ModuleList([ResBlock(chs[-1], chs[-1], g, p), ResBlock(chs[-1], chs[-1], g, p)])
        self.levels = nn.ModuleList()
        prev = chs[-1]
        for i in reversed(range(len(chs))):
            level = nn.Module()
            n = cfg.num_res_blocks + 1
            level.blocks = nn.ModuleList(
                [ResBlock(prev if j == 0 else chs[i], chs[i], g, p) for j in range(n)]
            )
            level.up = Upsample(chs[i], cfg.temporal_downsample[i - 1]) if i > 0 else None
            self.levels.append(level)
            prev = chs[i]
        self.norm_out = FrameGroupNorm(g, prev)
        self.conv_out = CausalConv3d(prev, cfg.in_channels, 3)

    def forward(self, z: Tensor, cache: CausalCache | None = None) -> Tensor:  # -> [B, 3, T, H, W]
        h = self.conv_in(z, cache)
        for block in self.mid:
            h = block(h, cache)
        for level in self.levels:
            for block in level.blocks:
                h = block(h, cache)
            if level.up is not None:
                h = level.up(h, cache)
        return self.conv_out(F.silu(self.norm_out(h)), cache)


class VideoVAE(nn.Module):
    """encode(video) -> DiagonalGaussian; decode(z) -> video; normalize/denormalize for diffusion."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    @property
    def latent_channels(self) -> int:
        return self.config.latent_channels

    @property
    def temporal_compression(self) -> int:
        return self.config.temporal_compression

    @property
    def spatial_compression(self) -> int:
        return self.config.spatial_compression

    @property
    def scaling_factor(self) -> float:
        return self.config.scaling_factor

    @property
    def shift_factor(self) -> float:
        return self.config.shift_factor

    def set_latent_stats(self, shift: float, scale: float) -> None:
        """Store the diffusion normalisation (from ``latent_stats``) in the config (saved with it)."""
        self.config = replace(self.config, shift_factor=float(shift), scaling_factor=float(scale))

    def normalize(self, z: Tensor) -> Tensor:
        """Raw latents -> the diffusion model's latent space: (z - shift) * scale."""
        return (z - self.shift_factor) * self.scaling_factor

    def denormalize(self, z: Tensor) -> Tensor:
        return z / self.scaling_factor + self.shift_factor

    def num_latent_frames(self, num_frames: int) -> int:
        return (num_frames - 1) // self.temporal_compression + 1

    def _check_video(self, video: Tensor) -> None:
        tc, sc = self.temporal_compression, self.spatial_compression
        if video.ndim != 5 or video.shape[1] != self.config.in_channels:
            raise ValueError(
                f"video must be [B, {self.config.in_channels}, T, H, W], got {tuple(video.shape)}"
            )
        _, _, t, h, w = video.shape
        if (t - 1) % tc or h % sc or w % sc:
            raise ValueError(
                f"video [.., T={t}, H={h}, W={w}] needs T = 1 + {tc}k and H, W multiples of {sc}"
            )

    def encode(self, video: Tensor, chunk_frames: int | None = None) -> DiagonalGaussian:
        """Posterior of ``video`` [B, 3, T, H, W] in [-1, 1]. With ``chunk_frames`` (a multiple of 4)
        frame 0 and then chunks of that many frames are encoded in turn with a cache of the causal
        padding: the same result as one pass, with memory bounded by the chunk."""
        self._check_video(video)
        if chunk_frames is None:
            moments = self.encoder(video)
        else:
            if chunk_frames <= 0 or chunk_frames % self.temporal_compression:
                raise ValueError(f"chunk_frames must be a positive multiple of {self.temporal_compression}")
            cache = CausalCache()
            starts = [0, 1, *range(1 + chunk_frames, video.shape[2], chunk_frames)]
            ends = [*starts[1:], video.shape[2]]
            parts = [
                self.encoder(video[:, :, s:e], cache) for s, e in zip(starts, ends, strict=True) if e > s
            ]
            moments = torch.cat(parts, dim=2)
        return DiagonalGaussian.from_moments(
            moments, logvar_min=self.config.logvar_min, logvar_max=self.config.logvar_max
        )

    def decode(self, z: Tensor, chunk_latents: int | None = None) -> Tensor:
        """Video [B, 3, 1 + 4(t - 1), 8h, 8w] from latents ``z`` [B, C, t, h, w] (raw, not normalised).
        With ``chunk_latents``, latent 0 and then chunks of that many latents are decoded in turn
        (streaming: a generated chunk can be decoded as soon as it exists)."""
        if z.ndim != 5 or z.shape[1] != self.latent_channels:
            raise ValueError(f"latents must be [B, {self.latent_channels}, t, h, w], got {tuple(z.shape)}")
        if chunk_latents is None:
            return self.decoder(z)
        if chunk_latents <= 0:
            raise ValueError(f"chunk_latents must be positive, got {chunk_latents}")
        cache = CausalCache()
        starts = [0, *range(1, z.shape[2], chunk_latents)]
        ends = [*starts[1:], z.shape[2]]
        return torch.cat(
            [self.decoder(z[:, :, s:e], cache) for s, e in zip(starts, ends, strict=True)], dim=2
        )

    def forward(
        self, video: Tensor, sample: bool = True, generator: torch.Generator | None = None
    ) -> tuple[Tensor, DiagonalGaussian]:
        """Reconstruction [B, 3, T, H, W] and posterior; decodes a sample (train) or the mean."""
        posterior = self.encode(video)
        z = posterior.sample(generator) if sample else posterior.mode()
        return self.decode(z), posterior
