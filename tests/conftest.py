"""Fixtures shared by every test package: small real media files with one property each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

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


# Camera paths built with numpy (OpenCV c2w: x right, y down, z forward; yaw turns about the y axis),
# for the FOV measure (manifests.fov) and memory retrieval (wpmodel.memory) tests.
def yaw_pose(yaw_rad: float, position: tuple[float, float, float]) -> np.ndarray:
    """c2w [4, 4] of a level camera at ``position`` turned by ``yaw_rad`` about the y axis."""
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    m = np.eye(4)
    m[:3, :3] = [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
    m[:3, 3] = position
    return m


def reverse_walk(n_out: int = 40, step: float = 0.25) -> np.ndarray:
    """Walk out along +z facing +z, then back to the start still facing +z: [2 n_out, 4, 4]."""
    out = [yaw_pose(0.0, (0.0, 0.0, step * i)) for i in range(n_out)]
    back = [yaw_pose(0.0, (0.0, 0.0, step * (n_out - 1 - i))) for i in range(n_out)]
    return np.stack(out + back)


def turn_loop(n_out: int = 40, step: float = 0.25, turn: int = 4) -> np.ndarray:
    """Out along +z, turn 180 degrees in place, back facing -z, turn 180 again, out again facing +z.

    Latent i < n_out of the first leg and latent ``second_leg_start(n_out, turn) + i`` are the same pose.
    """
    end = step * (n_out - 1)
    out = [yaw_pose(0.0, (0.0, 0.0, step * i)) for i in range(n_out)]
    turn1 = [yaw_pose(np.pi * (j + 1) / turn, (0.0, 0.0, end)) for j in range(turn)]
    back = [yaw_pose(np.pi, (0.0, 0.0, end - step * (i + 1))) for i in range(n_out - 1)]
    turn2 = [yaw_pose(np.pi * (1 + (j + 1) / turn), (0.0, 0.0, 0.0)) for j in range(turn)]
    again = [yaw_pose(0.0, (0.0, 0.0, step * i)) for i in range(1, n_out)]
    return np.stack(out + turn1 + back + turn2 + again)


def second_leg_start(n_out: int = 40, turn: int = 4) -> int:
    """Index in ``turn_loop`` of the pose equal to latent 0 (the last pose of the second turn)."""
    return n_out + turn + (n_out - 1) + turn - 1


@pytest.fixture
def cams() -> SimpleNamespace:
    """The path builders above, for tests (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(
        yaw_pose=yaw_pose, reverse_walk=reverse_walk, turn_loop=turn_loop, second_leg_start=second_leg_start
    )
