"""The ``latent.safetensors`` member: VAE latents stored TIME-MAJOR, with the order in its metadata.

A VAE gives latents channel-major ``[C, T_lat, h, w]``; a training batch is ``[B, T_lat, C, h, w]``.
So the file stores ``latent`` as ``[T_lat, C, h, w]`` and says so in the safetensors ``__metadata__``
(``{"layout": "TCHW"}``): a window of latent frames is then one contiguous byte range that a reader
reads straight into its batch slot. A file without the ``layout`` key (written before) is ``CTHW``,
``latent [C, T_lat, h, w]``; readers take both. ``caption_embedding`` [D] float32 sits beside it.

Written here rather than with ``safetensors.numpy.save`` because that keeps metadata in a hash map
whose key order changes from process to process (two keys, different bytes per run); this writer
sorts keys (``safetensors_file.safetensors_bytes``), so the same latents always give the same bytes.
"""

from __future__ import annotations

import numpy as np

from wpdata.shards.safetensors_file import safetensors_bytes

LAYOUT_KEY = "layout"
TIME_MAJOR = "TCHW"  # latent [T_lat, C, h, w]
CHANNEL_MAJOR = "CTHW"  # latent [C, T_lat, h, w]: files without a layout key
LAYOUTS = (TIME_MAJOR, CHANNEL_MAJOR)


def latent_layout(metadata: dict[str, str] | None) -> str:
    """The stored order of a latent file's ``latent`` from its safetensors metadata; raises ValueError."""
    layout = (metadata or {}).get(LAYOUT_KEY, CHANNEL_MAJOR)
    if layout not in LAYOUTS:
        raise ValueError(f"latent layout {layout!r} is not one of {LAYOUTS}")
    return layout


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
