"""One DiT block with adaLN-Zero: each latent frame's tokens are modulated by that frame's conditioning.

Caption tokens and frame tokens are kept as two streams (``[B, n_cap, D]`` and ``[B, L, N, D]``) so the
per-frame shift/scale/gate broadcast over a frame's tokens without being copied to every token; they are
joined only for attention. The modulation linear starts at zero, so every block starts as the identity.
"""

from __future__ import annotations

import torch
from torch import nn

from wpmodel.dit.attention import Attention


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift


class DiTBlock(nn.Module):
    """LayerNorm -> modulate -> attention -> gate; LayerNorm -> modulate -> MLP -> gate."""

    def __init__(
        self,
        hidden: int,
        heads: int,
        mlp_ratio: float,
        qk_norm: bool,
        rope_time_dims: int,
        use_prope: bool,
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(hidden, heads, qk_norm, rope_time_dims, use_prope)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        mlp_hidden = int(hidden * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(hidden, mlp_hidden), nn.GELU(approximate="tanh"), nn.Linear(mlp_hidden, hidden)
        )
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 6 * hidden))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(
        self,
        xc: torch.Tensor,  # [B, n_cap, D] caption tokens
        xf: torch.Tensor,  # [B, L, N, D] frame tokens
        cond_c: torch.Tensor,  # [D] or [B, D] caption tokens' conditioning
        cond_f: torch.Tensor,  # [B, L, D] per latent frame conditioning
        **attn_kwargs,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        B, L, N, D = xf.shape
        n_cap = xc.shape[1]
        mc = self.ada(cond_c).expand(B, 6 * D)[:, None].chunk(6, dim=-1)  # 6 x [B, 1, D]
        mf = self.ada(cond_f)[:, :, None].chunk(6, dim=-1)  # 6 x [B, L, 1, D]

        h = torch.cat(
            [modulate(self.norm1(xc), mc[0], mc[1]), modulate(self.norm1(xf), mf[0], mf[1]).flatten(1, 2)], 1
        )
        a = self.attn(h, n_cap=n_cap, tokens_per_frame=N, **attn_kwargs)  # [B, S, D]
        xc = xc + mc[2] * a[:, :n_cap]
        xf = xf + mf[2] * a[:, n_cap:].view(B, L, N, D)

        xc = xc + mc[5] * self.mlp(modulate(self.norm2(xc), mc[3], mc[4]))
        xf = xf + mf[5] * self.mlp(modulate(self.norm2(xf), mf[3], mf[4]))
        return xc, xf
