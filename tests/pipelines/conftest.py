"""Fixtures for pipelines tests: one embedded Ray per test module, small videos written with PyAV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    """An embedded 2-CPU Ray shared by a module's tests (run_job reuses an initialised Ray)."""
    from pipelines.runtime.ray_session import ray_session

    with ray_session(num_cpus=2, object_store_memory=200 * 1024**2) as info:
        yield info


def encode_video(path: Path, num_frames: int, width: int, height: int, fps: int) -> Path:
    """A small H.264 mp4 of a moving gradient, written with PyAV directly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        xs = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]  # [1, W, 1]
        for i in range(num_frames):
            img = np.broadcast_to((xs + 8 * i) % 256, (height, width, 3)).astype(np.uint8)  # [H, W, 3]
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture
def make_video() -> Callable[..., Path]:
    """``make_video(path, num_frames=20, width=96, height=64, fps=24) -> path``."""

    def _make(path: Path, num_frames: int = 20, width: int = 96, height: int = 64, fps: int = 24) -> Path:
        return encode_video(path, num_frames, width, height, fps)

    return _make
