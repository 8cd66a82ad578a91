"""Captions for clips and renders: frames to caption, a VLM captioner (transformers), a structured captioner
from measured attributes, caption tidying, caption embeddings (all-MiniLM-L6-v2), and a tiny test VLM.

Modules: ``frames`` (caption_frames), ``clean`` (strip_boilerplate), ``vlm`` (VLMConfig, VLMCaptioner),
``structured`` (structured_caption, with ``motion_text`` and ``colours``), ``embed`` (TextEmbedder),
``tiny_vlm`` (build_tiny_vlm). The model-holding names (VLMCaptioner, VLMConfig, VLMError, TextEmbedder,
build_tiny_vlm) are imported on first use, so `import wpdata.captions` does not import transformers.
"""

from typing import Any

from wpdata.captions.clean import strip_boilerplate
from wpdata.captions.frames import caption_frames
from wpdata.captions.structured import STRUCTURED_NAME, structured_caption

_LAZY = {
    "VLMCaptioner": "wpdata.captions.vlm",
    "VLMConfig": "wpdata.captions.vlm",
    "VLMError": "wpdata.captions.vlm",
    "TextEmbedder": "wpdata.captions.embed",
    "build_tiny_vlm": "wpdata.captions.tiny_vlm",
}

__all__ = [
    "STRUCTURED_NAME",
    "TextEmbedder",
    "VLMCaptioner",
    "VLMConfig",
    "VLMError",
    "build_tiny_vlm",
    "caption_frames",
    "strip_boilerplate",
    "structured_caption",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wpdata.captions' has no attribute {name!r}")
