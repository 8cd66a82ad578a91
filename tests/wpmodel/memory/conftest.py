"""Camera paths built with numpy (OpenCV c2w: x right, y down, z forward; yaw turns about the y axis)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest


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
