"""strip_boilerplate: table of VLM openings, whitespace, unfinished last sentences."""

from __future__ import annotations

import pytest

from wpdata.captions.clean import drop_incomplete_sentence, strip_boilerplate

CASES = [
    ("The video shows a street lined with trees.", "A street lined with trees."),
    ("This video depicts a forest path.", "A forest path."),
    ("In this video, the camera walks down a hallway.", "The camera walks down a hallway."),
    ("The image shows a red door.", "A red door."),
    ("These frames show a beach at sunset.", "A beach at sunset."),
    ("The scene is a busy market square.", "A busy market square."),
    ("THE VIDEO SHOWS a bridge.", "A bridge."),
    ("The clip appears to show a parking lot.", "A parking lot."),
    ("Sure! Here is a description of the video: The video captures a park.", "A park."),
    ("In the video we can see a river.", "A river."),
    ("  A   quiet\n street.\tCars  pass. ", "A quiet street. Cars pass."),
    ("A street with trees. The camera then moves", "A street with trees."),
    ("A street with trees! The camera then", "A street with trees!"),
    ("A street with 3.5 metre wide lanes", "A street with 3.5 metre wide lanes"),
    ("The video shows a room with", "A room with"),
    ("a lowercase start.", "A lowercase start."),
    ('He said "stop." Then the camera', 'He said "stop."'),
    ("The videographer walks.", "The videographer walks."),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_strip_boilerplate(raw, clean):
    assert strip_boilerplate(raw) == clean


def test_drop_incomplete_sentence_keeps_a_lone_fragment():
    assert drop_incomplete_sentence("no full sentence here") == "no full sentence here"
    assert drop_incomplete_sentence("One. Two. Thr") == "One. Two."
    assert drop_incomplete_sentence("One. Two.") == "One. Two."
