"""describe_motion: known latent label sequences give the expected sentence."""

from __future__ import annotations

import numpy as np
import pytest

from manifests.actions import keys_to_label
from wpdata.captions.motion_text import describe_motion, runs

W = keys_to_label(["W"])
S = keys_to_label(["S"])
D = keys_to_label(["D"])
WR = keys_to_label(["W", "right"])
LEFT = keys_to_label(["left"])
RIGHT = keys_to_label(["right"])
UP = keys_to_label(["up"])
STILL = 0

CASES = [
    (
        [0] + [W] * 10 + [WR] * 5 + [W] * 5 + [STILL] * 5,
        "The camera mostly moves forward, turning right midway, then stops.",
    ),
    ([0] + [W] * 20, "The camera moves forward."),
    ([0] + [S] * 12, "The camera moves backward."),
    ([0] + [D] * 12, "The camera moves sideways to the right."),
    ([0] + [WR] * 20, "The camera moves forward while turning right."),
    ([0] + [LEFT] * 20, "The camera turns left while staying in place."),
    ([0] * 12, "The camera stays still."),
    ([0] + [STILL] * 5 + [W] * 20, "After a pause, the camera mostly moves forward."),
    ([0] + [W] * 10 + [S] * 10, "The camera mostly moves forward, moving backward later."),
    (
        [0] + [LEFT] * 8 + [RIGHT] * 8,
        "The camera stays in place, turning left at first, turning right later.",
    ),
    ([0] + [W] * 10 + [keys_to_label(["W", "up"])] * 10, "The camera moves forward, tilting up later."),
    ([0], "The camera motion is unknown."),
    ([], "The camera motion is unknown."),
]


@pytest.mark.parametrize(("labels", "sentence"), CASES)
def test_describe_motion(labels, sentence):
    assert describe_motion(np.asarray(labels, np.int16)) == sentence


def test_single_latent_flicker_is_ignored():
    labels = [0] + [W] * 8 + [WR] + [W] * 8  # one latent of turning inside a straight walk
    assert describe_motion(labels) == "The camera moves forward."


def test_out_of_range_label_raises():
    with pytest.raises(ValueError, match="action labels"):
        describe_motion([0, 81])


def test_runs_merge_short_runs_into_neighbours():
    assert runs([1, 1, 2, 1, 1, 3, 3, 3], min_run=2) == [(1, 0, 5), (3, 5, 8)]
    assert runs([5, 1, 1, 1], min_run=2) == [(1, 0, 4)]
    assert runs([4, 4, 4], min_run=5) == [(4, 0, 3)]
    assert runs([], min_run=2) == []
