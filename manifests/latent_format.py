"""The stored order of ``latent`` in a sample's ``latent.safetensors`` (shared by writer and reader).

A VAE gives latents channel-major ``[C, T_lat, h, w]``; a training batch is ``[B, T_lat, C, h, w]``.
The writer stores ``latent`` as ``[T_lat, C, h, w]`` and says so in the safetensors ``__metadata__``
(``{"layout": "TCHW"}``), so a window of latent frames is one contiguous byte range. A file without
the ``layout`` key (written before) is ``CTHW``, ``[C, T_lat, h, w]``; readers take both.
"""

from __future__ import annotations

__all__ = ["CHANNEL_MAJOR", "LAYOUTS", "LAYOUT_KEY", "TIME_MAJOR", "latent_layout"]

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
