"""sampling: which source frames a request selects, and matching them against a decoded stream."""

from __future__ import annotations

import pytest

from wpdata.video import VideoError
from wpdata.video.sampling import check_request, count_targets, select, target_indices


def test_target_indices() -> None:
    assert list(target_indices(3, 8, 30.0, None)) == [3, 4, 5, 6, 7]
    assert list(target_indices(0, 10, 30.0, 15.0)) == [0, 2, 4, 6, 8]
    assert list(target_indices(0, 3, 10.0, 20.0)) == [0, 1, 1, 2, 2]
    assert list(target_indices(0, 10, 29.97, 10.0)) == [0, 3, 6, 9]
    assert count_targets(0, 10, 30.0, 15.0) == 5 and count_targets(4, 4, 30.0, None) == 0
    unbounded = target_indices(2, None, 10.0, None)
    assert [next(unbounded) for _ in range(3)] == [2, 3, 4]


def test_select_skips_gaps_and_repeats() -> None:
    stream = ((i, f"f{i}") for i in [0, 1, 2, 4, 5, 6])  # frame 3 missing
    got = list(select(stream, iter([1, 3, 4, 4, 6])))
    assert got == [(1, "f1"), (4, "f4"), (4, "f4"), (6, "f6")]


def test_select_stops_consuming_after_last_target() -> None:
    consumed = []

    def frames():
        for i in range(100):
            consumed.append(i)
            yield i, i

    assert [i for i, _ in select(frames(), iter([2, 5]))] == [2, 5]
    assert consumed == list(range(6))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, None, None, None), "negative"),
        ((5, 2, None, None), "before start"),
        ((0, None, (0, 4), None), "size"),
        ((0, None, None, -3.0), "target fps"),
    ],
)
def test_check_request(args: tuple, message: str) -> None:
    with pytest.raises(VideoError, match=message):
        check_request("x.mp4", *args)
    check_request("x.mp4", 0, 5, (8, 8), 10.0)  # a good request passes
