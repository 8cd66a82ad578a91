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


def _pids_with(text: str) -> list[int]:
    """Processes whose command line contains ``text``."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if text.encode() in (d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


@pytest.fixture
def kill_job_midway() -> Callable[..., None]:
    """``kill_job_midway(code, args, ready, timeout_s)``: run ``python -c code *args`` in its own session
    with an embedded Ray under a fresh temp root, SIGKILL its process group (and that Ray's daemons,
    which may live in another session) once ``ready()`` is true, and assert nothing of it survives."""
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    repo = Path(__file__).resolve().parents[2]

    def _run(code: str, args: list[str], ready: Callable[[], bool], timeout_s: float) -> None:
        ray_root = tempfile.mkdtemp(prefix="wpk", dir="/tmp")  # short: Ray's socket paths live under it
        env = {
            **os.environ,
            "WP_RAY_TEMP_ROOT": ray_root,
            "RAY_AUTH_MODE": "disabled",
            "PYTHONPATH": str(repo),
        }
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=repo,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while not ready():
                assert proc.poll() is None, "the job ended before it could be killed"
                assert time.monotonic() < deadline, "the job never reached the point to kill it at"
                time.sleep(0.1)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for pid in _pids_with(ray_root):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
            leftover = _pids_with(ray_root)
            subprocess.run(["rm", "-rf", ray_root], check=False)
        assert leftover == [], f"Ray processes of the killed job still running: {leftover}"

    return _run
