"""Fixtures shared by every test package: small real media files with one property each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest


def _write_rotated(path: Path, frames: np.ndarray, degrees: int, fps: int = 24) -> Path:
    """H.264 mp4 of frames [T, H, W, 3] uint8 whose display matrix says `degrees` counter-clockwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        s.set_display_rotation(degrees)
        for f in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")))
        c.mux(s.encode(None))
    return path


def _write_audio_only(path: Path) -> Path:
    """A file with one AAC audio stream (0.5 s of silence) and no video."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=16000)
        for _ in range(8):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate = 16000
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


@pytest.fixture
def write_rotated() -> Callable[..., Path]:
    """``write_rotated(path, frames, degrees, fps=24) -> path``."""
    return _write_rotated


@pytest.fixture
def write_audio_only() -> Callable[[Path], Path]:
    """``write_audio_only(path) -> path``."""
    return _write_audio_only
