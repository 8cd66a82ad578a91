"""libx264 options that make its output a function of the frames alone, on every CPU.

Shared by wpdata (clip export, renders) and wpmodel (sample and generated videos), whose byte-identical
reruns rest on it. On an AMD EPYC with AVX-512 (PyAV 18, x264 core 165, one encoder thread) the same
frames encoded to different bytes from one encode to the next, one in two to ten: x264's AVX-512
routines read bytes past the end of plane rows that FFmpeg leaves uninitialised, so the output
followed the heap's contents. With x264 capped at AVX2 the output was the same on every one of 100+
encodes of the same cases. Encoding is 4% slower on such CPUs (90 frames of 1280x720, veryfast,
one thread: 1.21 s vs 1.16 s, median of 5, sizes within 0.1%) and unchanged elsewhere.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

__all__ = ["x264_options"]


@functools.cache
def _has_avx512() -> bool:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        return " avx512f" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def x264_options() -> dict[str, str]:
    """Codec options for libx264 (merge into ``stream.options``) that keep its output deterministic here."""
    return {"x264-params": "asm=AVX2"} if _has_avx512() else {}
