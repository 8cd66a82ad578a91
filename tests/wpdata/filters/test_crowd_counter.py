"""CrowdCounter: people counted on keyframes taken from the analysis decode equal those of a decode per frame."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from wpdata.filters.crowd import HogPeopleDetector, crowd_density
from wpdata.filters.crowd_counter import CrowdCounter, crowd_indices
from wpdata.filters.frames import rgb_frames, sample_frames, source_info
from wpdata.video import write_mp4

from .test_crowd import _people_frame

if not hasattr(cv2, "HOGDescriptor"):
    pytest.skip("this OpenCV build has no HOGDescriptor", allow_module_level=True)


class _Seen:
    """A people detector that counts with HOG and keeps the frames it was given."""

    def __init__(self) -> None:
        self.hog, self.frames = HogPeopleDetector(), []

    def count(self, rgb: np.ndarray) -> int:
        self.frames.append(rgb.copy())
        return self.hog.count(rgb)


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Path:
    """40 frames at 1280x720 of 4 then 2 walkers, keyframes every 12 frames (uneven crowd counts)."""
    frames = [cv2.resize(_people_frame(4 if k < 20 else 2), (1280, 720)) for k in range(40)]
    return write_mp4(tmp_path_factory.mktemp("crowd") / "people.mp4", frames, 12.0, gop_size=12)


@pytest.mark.parametrize("threads", [1, 2])
def test_counts_from_the_decode_equal_a_decode_per_frame(people, threads):
    info = source_info(people, None)
    det = _Seen()
    with ThreadPoolExecutor(threads) as pool:
        counter = CrowdCounter(people, 0, 40, 3, 640, det, info, pool=pool if threads > 1 else None)
        sample_frames(people, 0, 40, analysis_fps=6.0, skip_nonref=True, info=info, on_frame=counter.offer)
        mean, peak = counter.result()
    idx = crowd_indices(people, 0, 40, info[0], 3)
    assert idx == [0, 24, 36] and counter.wanted == idx  # spread over the keyframes 0, 12, 24, 36
    rgb = rgb_frames(people, idx, 640, src_size=info[1])  # [3, 360, 640, 3] one decode per frame
    assert len(det.frames) == 3  # the pool may count them in any order: each is one of the expected frames
    assert all(any(np.array_equal(a, b) for b in rgb) for a in det.frames)
    assert all(any(np.array_equal(a, b) for a in det.frames) for b in rgb)
    expected = crowd_density(rgb, HogPeopleDetector())
    assert (mean, peak) == (expected["mean"], expected["max"]) and peak == 4.0 and mean < 4.0


def test_frames_not_offered_are_decoded_on_their_own(people):
    info = source_info(people, None)
    det = _Seen()
    counter = CrowdCounter(people, 5, 40, 4, 640, det, info)  # 3 keyframes in the span: start 5 joins them
    assert counter.wanted == [5, 12, 24, 36]
    sample_frames(people, 5, 40, analysis_fps=6.0, skip_nonref=True, info=info, on_frame=counter.offer)
    assert len(det.frames) == 3  # the keyframes; frame 5 (not a reference frame) was never offered
    assert counter.result() == (3.0, 4.0) and len(det.frames) == 4  # 4, 4, 2, 2 people
    assert np.array_equal(det.frames[-1], rgb_frames(people, [5], 640, src_size=info[1])[0])
