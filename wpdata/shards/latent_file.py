"""The ``latent.safetensors`` member: VAE latents stored TIME-MAJOR, with the order in its metadata
(the layout contract: ``manifests.latent_format``), and the caption embedding [D] float32 beside them.

Written with ``manifests.safetensors_format.safetensors_bytes`` rather than ``safetensors.numpy.save``:
that sorts metadata keys, so the same latents always give the same bytes.
"""

from __future__ import annotations

import numpy as np

from manifests.latent_format import CHANNEL_MAJOR, LAYOUT_KEY, LAYOUTS, TIME_MAJOR, latent_layout
from manifests.safetensors_format import safetensors_bytes

__all__ = ["CHANNEL_MAJOR", "LAYOUTS", "LAYOUT_KEY", "TIME_MAJOR", "latent_layout", "latent_safetensors"]


def latent_safetensors(
    latent: np.ndarray,
    caption_embedding: np.ndarray | None = None,
    metadata: dict[str, str] | None = None,
    bfloat16: bool = False,
) -> bytes:
    """The member's bytes for ``latent`` [C, T_lat, h, w] (the VAE's order), stored [T_lat, C, h, w].

    ``bfloat16``: ``latent`` is uint16 / int16 holding bfloat16 bits (numpy has no bfloat16).
    ``metadata`` (string values) is stored with ``layout`` set to ``TCHW``.
    """
    if latent.ndim != 4:
        raise ValueError(f"latent must be [C, T_lat, h, w], got {list(latent.shape)}")
    if bfloat16 and latent.dtype.itemsize != 2:
        raise ValueError(f"bfloat16 latents come as 16-bit integers, got {latent.dtype}")
    tensors = {"latent": np.ascontiguousarray(latent.transpose(1, 0, 2, 3))}  # [T_lat, C, h, w]
    if caption_embedding is not None:
        tensors["caption_embedding"] = np.ascontiguousarray(caption_embedding, np.float32).reshape(-1)  # [D]
    meta = {**(metadata or {}), LAYOUT_KEY: TIME_MAJOR}
    return safetensors_bytes(tensors, meta, {"latent": "BF16"} if bfloat16 else None)
