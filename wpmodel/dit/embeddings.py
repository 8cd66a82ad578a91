"""Conditioning embeddings of the DiT: flow time, action label, caption tokens, and latent patches.

The timestep and the action label are both embedded as sinusoids + MLP (REFERENCE.md section 1); the
action MLP's last layer starts at zero, so at initialisation the action branch adds exactly nothing.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal(x: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """[cos | sin] features of scalar positions: x [...] -> [..., dim] (float32 or float64 like x)."""
    dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=dtype, device=x.device) / half)
    args = x.to(dtype)[..., None] * freqs  # [..., half]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[..., :1])], dim=-1)
    return emb


class SinusoidalMLP(nn.Module):
    """Scalar -> sinusoidal features -> Linear, SiLU, Linear (the DiT timestep embedder)."""

    def __init__(self, hidden: int, freq_dim: int = 256, scale: float = 1.0, zero_last: bool = False):
        super().__init__()
        self.freq_dim, self.scale = freq_dim, scale
        self.mlp = nn.Sequential(nn.Linear(freq_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        nn.init.normal_(self.mlp[0].weight, std=0.02)
        nn.init.normal_(self.mlp[2].weight, std=0.02)
        if zero_last:
            nn.init.zeros_(self.mlp[2].weight)
            nn.init.zeros_(self.mlp[2].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [...] -> [..., hidden]."""
        x = x if x.is_floating_point() else x.float()  # integer labels embed as positions
        feats = sinusoidal(x * self.scale, self.freq_dim)
        return self.mlp(feats.to(self.mlp[0].weight.dtype))


class CaptionEmbedder(nn.Module):
    """Pooled caption embedding [B, caption_dim] -> ``tokens`` attention tokens [B, tokens, hidden]."""

    def __init__(self, caption_dim: int, hidden: int, tokens: int):
        super().__init__()
        self.tokens, self.hidden = tokens, hidden
        self.proj = nn.Sequential(
            nn.Linear(caption_dim, hidden), nn.SiLU(), nn.Linear(hidden, max(tokens, 1) * hidden)
        )

    def forward(self, caption: torch.Tensor) -> torch.Tensor:
        B = caption.shape[0]
        out = self.proj(caption.to(self.proj[0].weight.dtype))  # [B, tokens * hidden]
        return out.view(B, -1, self.hidden)[:, : self.tokens]


def patchify(x: torch.Tensor, py: int, px: int) -> torch.Tensor:
    """Latents [B, L, C, h, w] -> patch tokens [B, L, N, C*py*px], N = (h/py)*(w/px), row-major."""
    B, L, C, h, w = x.shape
    if h % py or w % px:
        raise ValueError(f"latent size {h}x{w} is not divisible by the patch size {py}x{px}")
    x = x.reshape(B, L, C, h // py, py, w // px, px)
    return x.permute(0, 1, 3, 5, 2, 4, 6).reshape(B, L, (h // py) * (w // px), C * py * px)


def unpatchify(tokens: torch.Tensor, C: int, h: int, w: int, py: int, px: int) -> torch.Tensor:
    """Patch tokens [B, L, N, C*py*px] -> latents [B, L, C, h, w] (inverse of :func:`patchify`)."""
    B, L = tokens.shape[:2]
    x = tokens.reshape(B, L, h // py, w // px, C, py, px)
    return x.permute(0, 1, 4, 2, 5, 3, 6).reshape(B, L, C, h, w)
