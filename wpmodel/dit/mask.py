"""The block-causal attention mask: a token of chunk i sees tokens of chunks <= i.

Caption tokens carry chunk id -1, so with the same rule frame tokens see every caption token and caption
tokens see only caption tokens (REFERENCE.md section 1). ``visibility_mask`` is the explicit
alternative: a per-latent visibility [B, L, L] given by the caller (the distiller scores each rolled-out
chunk over exactly the context the student used for it), with the same caption-token rule.
"""

from __future__ import annotations

import torch


def block_causal_mask(query_chunks: torch.Tensor, key_chunks: torch.Tensor) -> torch.Tensor:
    """Boolean SDPA mask (True = may attend) [B or 1, 1, S_q, S_k] from chunk ids [B, S_q], [B, S_k].

    When every batch row has the same ids the mask is built once ([1, 1, S_q, S_k]) and broadcast.
    """
    if (
        query_chunks.shape[0] > 1
        and bool((query_chunks == query_chunks[:1]).all())
        and bool((key_chunks == key_chunks[:1]).all())
    ):
        query_chunks, key_chunks = query_chunks[:1], key_chunks[:1]
    return (key_chunks[:, None, :] <= query_chunks[:, :, None])[:, None]


def token_chunks(chunk_id: torch.Tensor, tokens_per_frame: int) -> torch.Tensor:
    """Per-latent chunk ids [B, L] -> per-token chunk ids [B, L * tokens_per_frame]."""
    return chunk_id.repeat_interleave(tokens_per_frame, dim=1)


def visibility_mask(visible: torch.Tensor, tokens_per_frame: int, n_caption: int) -> torch.Tensor:
    """Boolean SDPA mask [B or 1, 1, S, S] (S = n_caption + L * tokens_per_frame) from a latent visibility
    ``visible`` [B or 1, L, L] (True: query latent may attend to key latent): frame tokens also see every
    caption token, caption tokens see only caption tokens (the rule ``block_causal_mask`` follows)."""
    B, L, _ = visible.shape
    frames = visible.repeat_interleave(tokens_per_frame, 1).repeat_interleave(tokens_per_frame, 2)
    S = n_caption + L * tokens_per_frame
    mask = torch.zeros(B, S, S, dtype=torch.bool, device=visible.device)
    mask[:, :, :n_caption] = True
    mask[:, n_caption:, n_caption:] = frames
    return mask[:, None]
