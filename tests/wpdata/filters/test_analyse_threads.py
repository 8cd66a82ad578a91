"""analyse_span on a thread pool gives exactly the scores of one thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wpdata.filters.analyse import AnalysisConfig, analyse_span
from wpdata.video import write_mp4

from .test_overlay import _blend, _logo_mask, _pan_frames


def test_threads_give_the_same_scores(tmp_path: Path) -> None:
    frames = _blend(_pan_frames(n=40), _logo_mask(), 240.0, 0.5)  # a logo: overlay pass and remask run
    path = write_mp4(tmp_path / "logo.mp4", frames, fps=12, threads=1)
    one = analyse_span(path, 0, len(frames), AnalysisConfig(threads=1, analysis_fps=12.0))
    two = analyse_span(path, 0, len(frames), AnalysisConfig(threads=3, analysis_fps=12.0))
    assert one["overlay_kinds"] and one["score_crowd"] is not None  # every part ran
    assert one.keys() == two.keys()
    for k, v in one.items():
        assert v == two[k] or (isinstance(v, float) and np.isnan(v) and np.isnan(two[k])), k


def test_opencv_threads_are_restored_after_a_pooled_analysis(tmp_path: Path) -> None:
    import cv2

    frames = _pan_frames(n=16)
    path = write_mp4(tmp_path / "pan.mp4", frames, fps=12, threads=1)
    saved = cv2.getNumThreads()
    try:
        cv2.setNumThreads(3)
        seen: list[int] = []

        class _Count:  # a people "detector" that records OpenCV's thread setting while the pool runs
            def count(self, rgb):
                seen.append(cv2.getNumThreads())
                return 0

        analyse_span(path, 0, len(frames), AnalysisConfig(threads=2, analysis_fps=12.0), detector=_Count())
        assert seen and set(seen) == {1}  # OpenCV's own pool was off during the analysis
        assert cv2.getNumThreads() == 3  # ...and the caller's setting is back
    finally:
        cv2.setNumThreads(saved)
