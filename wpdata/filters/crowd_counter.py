"""People counts of a span on a few full-colour keyframes, taken from the analysis decode as it passes them.

The reference-frame decode of `sample_frames` passes every keyframe of the span anyway (keyframes are
reference frames), so `CrowdCounter.offer` converts the wanted ones to RGB at the crowd width exactly as
`rgb_frames` would (the same swscale conversion of the same decoded picture) and counts people in each
on the pool while the decode goes on. `result` decodes on its own only the frames it was not offered (a
span start that is a non-reference frame, an image folder, a decode without the loop filter), so the
counts are those of a separate decode per frame, without its container opens and keyframe decodes.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from wpdata.clips.timing import keyframe_indices
from wpdata.filters.frames import analysis_size, rgb_frames

__all__ = ["CrowdCounter", "crowd_indices"]


def crowd_indices(path: str | Path, start: int, end: int, fps: float, count: int) -> list[int]:
    """``count`` source frames of [start, end) for the people detector, keyframes preferred, spread out."""
    if count <= 0 or end <= start:
        return []
    keys = keyframe_indices(path, start, end, fps)
    pool = keys if len(keys) >= count else sorted(set(keys) | {start})
    pick = np.unique(np.round(np.linspace(0, len(pool) - 1, min(count, len(pool)))).astype(int))
    return [int(pool[i]) for i in pick]


class CrowdCounter:
    """(mean, max) people per frame over ``count`` keyframes of [start, end) of ``path``; see the module doc."""

    def __init__(
        self,
        path: str | Path,
        start: int,
        end: int,
        count: int,
        width: int,
        detector: Any,
        info: tuple[float, tuple[int, int], int],
        source_fps: float | None = None,
        threads: int = 0,
        pool: Executor | None = None,
    ) -> None:
        src_fps, src_size, _ = info
        self.path, self.width, self.detector, self.src_size = path, width, detector, src_size
        self.source_fps, self.threads, self.pool = source_fps, threads, pool
        pick = (crowd_indices, path, start, end, src_fps, count)
        self._wanted: Future | list[int] = pool.submit(*pick) if pool is not None else pick[0](*pick[1:])
        self.size = analysis_size(src_size, width)  # (w, h), as rgb_frames sizes them
        shrink = self.size[0] * self.size[1] < src_size[0] * src_size[1]
        self.interpolation = "AREA" if shrink else "BILINEAR"  # iter_frames' choice
        self._rgb = VideoReformatter()
        self._counts: dict[int, Future | int] = {}
        self._lock = threading.Lock()  # one detector call at a time (it is shared, maybe not thread-safe)

    @property
    def wanted(self) -> list[int]:
        """The source frame indices counted (sorted)."""
        if isinstance(self._wanted, Future):
            self._wanted = self._wanted.result()
        return self._wanted

    def _count(self, rgb: np.ndarray) -> int:
        with self._lock:
            return int(self.detector.count(rgb))

    def _submit(self, idx: int, rgb: np.ndarray) -> None:
        self._counts[idx] = self.pool.submit(self._count, rgb) if self.pool is not None else self._count(rgb)

    def offer(self, idx: int, frame: av.VideoFrame) -> None:
        """A decoded source frame (fully decoded, with the loop filter); counted when it is a wanted one."""
        if idx in self._counts or idx not in self.wanted:
            return
        w, h = self.size
        rgb = self._rgb.reformat(frame, width=w, height=h, format="rgb24", interpolation=self.interpolation)
        self._submit(idx, rgb.to_ndarray())  # [h, w, 3] uint8

    def result(self) -> tuple[float | None, float | None]:
        """(mean, max) people per counted frame, decoding the frames not offered; (None, None) without any."""
        for i in self.wanted:
            if i not in self._counts:
                rgb = rgb_frames(
                    self.path, [i], self.width, self.source_fps, self.threads, src_size=self.src_size
                )
                if len(rgb):
                    self._submit(i, rgb[0])
        values = [self._counts[i] for i in self.wanted if i in self._counts]
        counts = np.array([v.result() if isinstance(v, Future) else v for v in values], np.float64)  # [M]
        if not len(counts):
            return None, None
        return float(counts.mean()), float(counts.max())
