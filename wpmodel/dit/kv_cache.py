"""KVCache: per-layer keys and values of context tokens, so a new chunk attends without recomputing them.

Keys are stored after RoPE (and, on the PRoPE branch, after ``P_j^-1``): both depend only on the key's
own frame, so cached and freshly computed keys are the same numbers. The cache also holds the chunk id
of every cached token (caption tokens have id -1), from which the block-causal mask is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

CAPTION_CHUNK = -1  # chunk id of caption tokens: every frame chunk (id >= 0) may attend to them


@dataclass
class LayerKV:
    """Cached tensors of one transformer layer."""

    k: torch.Tensor | None = None  # [B, H, S, D] main branch (caption + frame tokens)
    v: torch.Tensor | None = None  # [B, H, S, D]
    pk: torch.Tensor | None = None  # [B, H, S_f, D] PRoPE branch (frame tokens only)
    pv: torch.Tensor | None = None  # [B, H, S_f, D]


def _cat(a: torch.Tensor | None, b: torch.Tensor | None, dim: int) -> torch.Tensor | None:
    if b is None:
        return a
    return b if a is None else torch.cat([a, b], dim=dim)


class KVCache:
    """Keys/values of already-processed tokens for every layer of one model, for one batch."""

    def __init__(self, num_layers: int):
        self.layers = [LayerKV() for _ in range(num_layers)]
        self.chunk_ids: torch.Tensor | None = None  # [B, S] int64, caption tokens = CAPTION_CHUNK
        self.num_latents = 0  # latent frames written so far
        self.has_caption = False

    @property
    def is_empty(self) -> bool:
        return self.chunk_ids is None

    @property
    def num_tokens(self) -> int:
        return 0 if self.chunk_ids is None else int(self.chunk_ids.shape[1])

    @property
    def frame_chunk_ids(self) -> torch.Tensor | None:
        """Chunk ids of the cached frame tokens [B, S_f] (caption tokens come first and are dropped)."""
        if self.chunk_ids is None:
            return None
        return self.chunk_ids[:, self.num_caption_tokens :]

    @property
    def num_caption_tokens(self) -> int:
        if self.chunk_ids is None:
            return 0
        return int((self.chunk_ids[0] == CAPTION_CHUNK).sum())

    @property
    def next_chunk(self) -> int:
        """The chunk id that follows the newest cached one (0 when nothing is cached)."""
        f = self.frame_chunk_ids
        return 0 if f is None or f.numel() == 0 else int(f.max()) + 1

    def append_layer(self, layer: int, k, v, pk=None, pv=None) -> None:
        """Append one layer's new keys/values along the token axis."""
        kv = self.layers[layer]
        kv.k, kv.v = _cat(kv.k, k, 2), _cat(kv.v, v, 2)
        kv.pk, kv.pv = _cat(kv.pk, pk, 2), _cat(kv.pv, pv, 2)

    def append_tokens(self, chunk_ids: torch.Tensor, num_latents: int, with_caption: bool) -> None:
        """Record the chunk ids [B, S] of the tokens just appended to every layer."""
        self.chunk_ids = _cat(self.chunk_ids, chunk_ids, 1)
        self.num_latents += num_latents
        self.has_caption = self.has_caption or with_caption

    def reset(self) -> None:
        """Forget everything (e.g. before rebuilding a reconstituted context for the next chunk)."""
        self.__init__(len(self.layers))  # type: ignore[misc]
