"""COLMAP model entry points: read a text or binary sparse model directory, write either format."""

from __future__ import annotations

import os
from pathlib import Path

from .colmap_binary import read_colmap_binary, write_colmap_binary
from .colmap_model import ColmapModel
from .colmap_text import read_colmap_text, write_colmap_text

__all__ = ["read_colmap_model", "write_colmap_text", "write_colmap_binary", "find_colmap_model"]


def find_colmap_model(scene_dir: str | os.PathLike) -> Path:
    """The model directory under a scene (itself, sparse/0, colmap/sparse/0, ...) holding cameras.{bin,txt}."""
    root = Path(scene_dir)
    for rel in ("", "sparse/0", "sparse", "colmap/sparse/0", "colmap/sparse", "colmap"):
        d = root / rel
        if (d / "cameras.bin").is_file() or (d / "cameras.txt").is_file():
            return d
    raise FileNotFoundError(f"no COLMAP model (cameras.bin / cameras.txt) found under {root}")


def read_colmap_model(model_dir: str | os.PathLike) -> ColmapModel:
    """Read a COLMAP model directory; binary files win when both formats are present."""
    d = Path(model_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"COLMAP model directory not found: {d}")
    if (d / "cameras.bin").is_file() and (d / "images.bin").is_file():
        return read_colmap_binary(d)
    if (d / "cameras.txt").is_file() and (d / "images.txt").is_file():
        return read_colmap_text(d)
    raise FileNotFoundError(f"{d} holds no COLMAP model (need cameras + images as .bin or .txt)")
