"""The one error type scene readers and validation raise (pipelines turn it into a `failed` row)."""

from __future__ import annotations


class SceneError(ValueError):
    """A scene that cannot be used: missing or non-finite poses, unreadable images, too few images."""
