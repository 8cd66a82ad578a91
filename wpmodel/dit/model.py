"""WorldPlayDiT: the chunked, block-causal video DiT over VAE latents (REFERENCE.md section 1).

Tokens: ``caption_tokens`` caption tokens (the pooled caption embedding, projected), then each latent
frame's patch tokens. Per latent frame, timestep embedding + action embedding drive adaLN-Zero; 3D RoPE
takes its time positions from ``time_index`` (so temporal reframing only changes ``time_index``); the
block-causal mask comes from ``chunk_id`` (or, without a KV cache, from an explicit per-latent
``visible`` [B, L, L] that replaces it: the distiller's per-chunk scoring context); cameras enter
through the zero-initialised PRoPE branch.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from wpmodel.dit.block import DiTBlock, modulate
from wpmodel.dit.config import DiTConfig
from wpmodel.dit.embeddings import CaptionEmbedder, SinusoidalMLP, patchify, unpatchify
from wpmodel.dit.kv_cache import CAPTION_CHUNK, KVCache
from wpmodel.dit.mask import block_causal_mask, token_chunks, visibility_mask
from wpmodel.dit.prope import projection_matrices
from wpmodel.dit.rope import rope_angles, rope_cos_sin

CacheMode = Literal["none", "write", "read"]


class WorldPlayDiT(nn.Module):
    """Predicts the flow velocity of noisy latents, chunk-causally, conditioned on caption/actions/cameras."""

    def __init__(self, config: DiTConfig):
        super().__init__()
        self.config = cfg = config
        D = cfg.hidden
        self.grad_checkpointing = False
        self.patch_embed = nn.Linear(cfg.patch_dim, D)
        self.caption_embed = CaptionEmbedder(cfg.caption_dim, D, cfg.caption_tokens)
        self.caption_cond = nn.Parameter(torch.zeros(D))  # adaLN conditioning of the caption tokens
        self.t_embed = SinusoidalMLP(D, cfg.freq_dim, scale=cfg.timestep_scale)
        self.action_embed = SinusoidalMLP(D, cfg.freq_dim, zero_last=True) if cfg.use_actions else None
        time_dims = cfg.rope_split[0]
        self.blocks = nn.ModuleList(
            DiTBlock(D, cfg.heads, cfg.mlp_ratio, cfg.qk_norm, time_dims, cfg.use_prope)
            for _ in range(cfg.depth)
        )
        self.final_norm = nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)
        self.final_ada = nn.Sequential(nn.SiLU(), nn.Linear(D, 2 * D))
        self.final = nn.Linear(D, cfg.patch_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        """Xavier linears; zero adaLN, final layer, action-MLP last layer and PRoPE output (DiT/WorldPlay)."""
        zero = [self.final_ada[1], self.final]
        for blk in self.blocks:
            zero.append(blk.ada[1])
            if blk.attn.prope_proj is not None:
                zero.append(blk.attn.prope_proj)
        for name, m in self.named_modules():
            if isinstance(m, nn.Linear) and not name.startswith(("t_embed", "action_embed")):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        if self.action_embed is not None:
            zero.append(self.action_embed.mlp[2])
        for m in zero:
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def new_cache(self) -> KVCache:
        """An empty KV cache for this model."""
        return KVCache(len(self.blocks))

    def forward(
        self,
        x: torch.Tensor,  # [B, L, C, h, w] noisy latents
        t: torch.Tensor,  # [B, L] flow times in [0, 1]
        caption: torch.Tensor | None = None,  # [B, caption_dim]; may be None only when the cache has it
        actions: torch.Tensor | None = None,  # [B, L] int64 in [0, num_actions)
        viewmats: torch.Tensor | None = None,  # [B, L, 4, 4] w2c (OpenCV)
        Ks: torch.Tensor | None = None,  # [B, L, 3, 3] normalised intrinsics
        time_index: torch.Tensor | None = None,  # [B, L] float RoPE time positions
        chunk_id: torch.Tensor | None = None,  # [B, L] int >= 0
        kv_cache: KVCache | None = None,
        cache_mode: CacheMode = "none",
        visible: torch.Tensor | None = None,  # [B | 1, L, L] bool: latent q may attend to latent k
    ) -> torch.Tensor:
        """Velocity [B, L, C, h, w]. ``write`` appends these tokens to ``kv_cache``; ``read`` only uses it.
        ``visible`` (no cache only) replaces the block-causal mask of ``chunk_id`` by an explicit one."""
        cfg = self.config
        if x.ndim != 5 or x.shape[2] != cfg.latent_channels:
            raise ValueError(f"x must be [B, L, {cfg.latent_channels}, h, w], got {list(x.shape)}")
        B, L, C, h, w = x.shape
        _check("t", t, (B, L))
        if cache_mode not in ("none", "write", "read"):
            raise ValueError(f"cache_mode must be 'none', 'write' or 'read', got {cache_mode!r}")
        if cache_mode != "none" and kv_cache is None:
            raise ValueError(f"cache_mode={cache_mode!r} needs a kv_cache (model.new_cache())")
        cache = kv_cache if cache_mode != "none" else None
        dev, dtype = x.device, self.patch_embed.weight.dtype
        offset = cache.num_latents if cache is not None else 0
        lat = torch.arange(offset, offset + L, device=dev)
        if time_index is None:
            time_index = lat.to(torch.float64).expand(B, L)
        if chunk_id is None:
            chunk_id = (lat // cfg.chunk_latents).expand(B, L)
        _check("time_index", time_index, (B, L))
        _check("chunk_id", chunk_id, (B, L))
        if bool((chunk_id < 0).any()):
            raise ValueError("chunk_id must be >= 0 (-1 is reserved for caption tokens)")
        if visible is not None:
            if cache is not None:
                raise ValueError("visible is only supported without a KV cache (cache_mode='none')")
            shape = tuple(visible.shape)
            if (
                visible.dtype != torch.bool
                or len(shape) != 3
                or shape[0] not in (1, B)
                or shape[1:] != (L, L)
            ):
                raise ValueError(
                    f"visible must be bool [{B} or 1, {L}, {L}], got {visible.dtype} {list(visible.shape)}"
                )

        include_caption = cache is None or not cache.has_caption
        if include_caption and caption is None:
            raise ValueError("caption is required unless the KV cache already holds the caption tokens")
        _, py, px = cfg.patch_size
        gh, gw = h // py, w // px
        N = gh * gw
        xf = self.patch_embed(patchify(x.to(dtype), py, px))  # [B, L, N, D]
        if include_caption:
            _check("caption", caption, (B, cfg.caption_dim))
            xc = self.caption_embed(caption)  # [B, n_cap, D]
        else:
            xc = xf.new_zeros(B, 0, cfg.hidden)
        n_cap = xc.shape[1]
        cond_f = self.t_embed(t)  # [B, L, D]
        if self.action_embed is not None and actions is not None:
            _check("actions", actions, (B, L))
            if actions.is_floating_point() or bool((actions < 0).any() | (actions >= cfg.num_actions).any()):
                raise ValueError(f"actions must be integer labels in [0, {cfg.num_actions})")
            cond_f = cond_f + self.action_embed(actions)

        cos, sin = rope_cos_sin(rope_angles(time_index, gh, gw, cfg.rope_split, cfg.rope_theta), dtype)
        f_chunks = token_chunks(chunk_id.to(torch.int64), N)  # [B, L * N]
        q_chunks = torch.cat([f_chunks.new_full((B, n_cap), CAPTION_CHUNK), f_chunks], dim=1)
        k_chunks = q_chunks if cache is None or cache.is_empty else torch.cat([cache.chunk_ids, q_chunks], 1)
        if visible is None:
            mask = block_causal_mask(q_chunks, k_chunks)
        else:
            mask = visibility_mask(visible.to(dev), N, n_cap)
        attn_kwargs: dict = {"rope": (cos, sin), "mask": _additive(mask, dtype)}
        if cfg.use_prope and viewmats is not None:
            _check("viewmats", viewmats, (B, L, 4, 4))
            if Ks is not None:
                _check("Ks", Ks, (B, L, 3, 3))
            fk = (
                f_chunks
                if cache is None or cache.is_empty
                else torch.cat([cache.frame_chunk_ids, f_chunks], 1)
            )
            attn_kwargs["prope"] = projection_matrices(viewmats, Ks, dtype)
            frame_mask = block_causal_mask(f_chunks, fk) if visible is None else mask[:, :, n_cap:, n_cap:]
            attn_kwargs["prope_mask"] = _additive(frame_mask, dtype)

        for i, blk in enumerate(self.blocks):
            kw = dict(attn_kwargs, cache=cache, layer=i, write=cache_mode == "write")
            if self.grad_checkpointing and self.training and cache is None:
                xc, xf = checkpoint(blk, xc, xf, self.caption_cond, cond_f, use_reentrant=False, **kw)
            else:
                xc, xf = blk(xc, xf, self.caption_cond, cond_f, **kw)
        if cache is not None and cache_mode == "write":
            cache.append_tokens(q_chunks, L, include_caption)

        shift, scale = self.final_ada(cond_f)[:, :, None].chunk(2, dim=-1)  # [B, L, 1, D] each
        out = self.final(modulate(self.final_norm(xf), shift, scale))  # [B, L, N, patch_dim]
        return unpatchify(out, C, h, w, py, px)


def _additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Boolean mask -> additive float mask (0 / -inf), built once per forward and shared by all layers
    (SDPA would otherwise convert the boolean mask in every layer)."""
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(~mask, float("-inf"))


def _check(name: str, value: torch.Tensor | None, shape: tuple[int, ...]) -> None:
    if value is None or tuple(value.shape) != tuple(shape):
        got = None if value is None else list(value.shape)
        raise ValueError(f"{name} must have shape {list(shape)}, got {got}")


def count_parameters(config: DiTConfig) -> int:
    """Parameters of a WorldPlayDiT built from ``config``, counted on the meta device (no memory)."""
    with torch.device("meta"):
        model = WorldPlayDiT(config)
    return sum(p.numel() for p in model.parameters())
