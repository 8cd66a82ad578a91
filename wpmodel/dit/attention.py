"""Self-attention of one DiT layer: 3D RoPE, block-causal mask, KV cache, and the PRoPE branch.

Tokens are ``[caption tokens | frame tokens]``. Caption tokens are not rotated and their keys have the
RoPE time channels zeroed: a frame query's score against a caption key then does not depend on the
query's absolute time, so shifting every time index by a constant leaves the output unchanged (only
relative times matter, which temporal reframing relies on). The PRoPE branch runs over frame tokens only
(a caption token has no camera) and enters through a zero-initialised projection.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wpmodel.dit.kv_cache import KVCache
from wpmodel.dit.prope import prope_out, prope_qkv
from wpmodel.dit.rope import apply_rope


class Attention(nn.Module):
    """Multi-head self-attention with an optional parallel PRoPE branch."""

    def __init__(self, hidden: int, heads: int, qk_norm: bool, rope_time_dims: int, use_prope: bool):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.rope_time_dims = rope_time_dims
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.q_norm = nn.RMSNorm(self.head_dim, eps=1e-6) if qk_norm else nn.Identity()
        self.k_norm = nn.RMSNorm(self.head_dim, eps=1e-6) if qk_norm else nn.Identity()
        self.proj = nn.Linear(hidden, hidden)
        self.prope_proj: nn.Linear | None = None
        if use_prope:
            self.prope_proj = nn.Linear(hidden, hidden)
            nn.init.zeros_(self.prope_proj.weight)
            nn.init.zeros_(self.prope_proj.bias)

    def forward(
        self,
        x: torch.Tensor,  # [B, S, hidden], S = n_cap + L * N
        n_cap: int,
        tokens_per_frame: int,
        rope: tuple[torch.Tensor, torch.Tensor],  # cos, sin [B, 1, L * N, head_dim / 2]
        mask: torch.Tensor,  # [B | 1, 1, S, S_cache + S] bool or additive float
        prope: tuple[torch.Tensor, torch.Tensor] | None = None,  # P, P_inv [B, L, 4, 4]
        prope_mask: torch.Tensor | None = None,  # [B | 1, 1, L * N, S_f_cache + L * N] like mask
        cache: KVCache | None = None,
        layer: int = 0,
        write: bool = False,
    ) -> torch.Tensor:
        B, S, hidden = x.shape
        q, k, v = self.qkv(x).view(B, S, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)  # [B, H, S, D]
        q, k = self.q_norm(q), self.k_norm(k)
        cos, sin = rope
        qf, kf, vf = q[:, :, n_cap:], k[:, :, n_cap:], v[:, :, n_cap:]
        kc = k[:, :, :n_cap].clone()
        kc[..., : self.rope_time_dims] = 0  # caption keys: no time channels (see module docstring)
        q_r = torch.cat([q[:, :, :n_cap], apply_rope(qf, cos, sin)], dim=2)
        k_r = torch.cat([kc, apply_rope(kf, cos, sin)], dim=2)

        pq = pk = pv = None
        use_prope = self.prope_proj is not None and prope is not None
        if use_prope:
            pq, pk, pv = prope_qkv(qf, kf, vf, prope[0], prope[1], tokens_per_frame)

        k_all, v_all, pk_all, pv_all = k_r, v, pk, pv
        if cache is not None:
            kv = cache.layers[layer]
            if kv.k is not None:
                k_all, v_all = torch.cat([kv.k, k_r], 2), torch.cat([kv.v, v], 2)
            if use_prope and kv.pk is not None:
                pk_all, pv_all = torch.cat([kv.pk, pk], 2), torch.cat([kv.pv, pv], 2)
            elif use_prope and cache.num_latents > 0:
                raise ValueError(
                    "KV cache holds no PRoPE keys (written without cameras); pass viewmats to both"
                )
            if write:
                cache.append_layer(layer, k_r, v, pk, pv)

        o = F.scaled_dot_product_attention(q_r, k_all, v_all, attn_mask=mask)  # [B, H, S, D]
        out = self.proj(o.transpose(1, 2).reshape(B, S, hidden))
        if use_prope:
            po = F.scaled_dot_product_attention(pq, pk_all, pv_all, attn_mask=prope_mask)
            po = prope_out(po, prope[0], tokens_per_frame)  # [B, H, L * N, D]
            po = self.prope_proj(po.transpose(1, 2).reshape(B, S - n_cap, hidden))
            out = torch.cat([out[:, :n_cap], out[:, n_cap:] + po], dim=1)
        return out
