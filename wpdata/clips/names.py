"""Sekai clip names ``{video_id}_{start}_{end}`` (end exclusive, frames of the original video)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEKAI = re.compile(r"^(?P<vid>.+?)_(?P<start>\d+)_(?P<end>\d+)$")


@dataclass(frozen=True)
class SekaiName:
    """Where a Sekai-style clip came from: the original video id and its frame span [start, end)."""

    video_id: str
    start_frame: int
    end_frame: int


def parse_sekai_name(stem: str) -> SekaiName | None:
    """``"abc_120_420"`` -> SekaiName("abc", 120, 420); None when the stem is not of that form."""
    m = _SEKAI.match(stem)
    if m is None:
        return None
    start, end = int(m.group("start")), int(m.group("end"))
    if end <= start:
        return None
    return SekaiName(m.group("vid"), start, end)
