"""The structured captioner: an honest descriptive caption built only from measured attributes.

Used when no VLM is configured. Each sentence comes from one measurement and says nothing more:
- length and brightness: `duration_s` and the mean luma (`colours.brightness_word`);
- camera motion: the per-latent action labels (`motion_text.describe_motion`);
- colours: the dominant named colours of the frames (`colours.dominant_colours`);
- defects: the clip's flags (the curation drop reasons, e.g. "overlay:watermark", "shake").
  An overlay flag may carry where the overlay is as a third part, "overlay:watermark:top-right"
  (`overlay_position` turns a box into such a word); without it the caption names no position.
Example: "A dim 6.0-second clip. The camera mostly moves forward, turning right midway, then stops.
The dominant colours are green, grey and blue. Visible defects: a static watermark in the top-right
corner." Deterministic: the same inputs give the same text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wpdata.captions.colours import brightness_word, dominant_colours
from wpdata.captions.motion_text import describe_motion

__all__ = [
    "FLAG_PHRASES",
    "POSITIONS",
    "STRUCTURED_NAME",
    "describe_flags",
    "join_words",
    "overlay_position",
    "structured_caption",
]

STRUCTURED_NAME = "structured"

FLAG_PHRASES: dict[str, str] = {
    "overlay:watermark": "a static watermark",
    "overlay:logo": "a static logo",
    "overlay:hud": "an on-screen HUD",
    "overlay:subtitles": "burned-in subtitles",
    "overlay:letterbox": "letterbox bars",
    "overlay": "a static overlay",
    "letterbox": "letterbox bars",
    "shake": "camera shake",
    "crowd": "a dense crowd",
    "too_dark": "very low light",
    "overexposed": "overexposure",
    "blurred": "blur",
    "static_camera": "an almost static camera",
    "unreliable_motion": "motion that could not be measured reliably",
}
# position words of a 3x3 grid of the frame, row-major
POSITIONS = (
    "top-left",
    "top",
    "top-right",
    "left",
    "centre",
    "right",
    "bottom-left",
    "bottom",
    "bottom-right",
)
_POSITION_TEXT = {p: f"in the {p} corner" if "-" in p else f"at the {p}" for p in POSITIONS} | {
    "centre": "in the centre"
}


def overlay_position(box: Sequence[float], width: int, height: int) -> str:
    """Where a box (x0, y0, x1, y1) in pixels sits in a (width, height) frame: one of POSITIONS."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (width > 0 and height > 0 and x1 > x0 and y1 > y0):
        raise ValueError(f"bad box {tuple(box)} for a {width}x{height} frame")
    col = min(2, max(0, int(3 * (x0 + x1) / 2 / width)))
    row = min(2, max(0, int(3 * (y0 + y1) / 2 / height)))
    return POSITIONS[row * 3 + col]


def join_words(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _flag_phrase(flag: str) -> str:
    flag = flag.strip()
    parts = flag.split(":")
    if parts[0] == "overlay" and len(parts) >= 3 and parts[2] in POSITIONS:
        base = FLAG_PHRASES.get(f"overlay:{parts[1]}", f"a static {parts[1].replace('_', ' ')} overlay")
        return f"{base} {_POSITION_TEXT[parts[2]]}"
    if flag in FLAG_PHRASES:
        return FLAG_PHRASES[flag]
    if parts[0] == "overlay" and len(parts) == 2:
        return f"a static {parts[1].replace('_', ' ')} overlay"
    return flag.replace("_", " ").replace(":", " ")


def describe_flags(flags: Sequence[str]) -> str:
    """ "Visible defects: ..." for the flags (in the order given, duplicates once), or "" when none."""
    if isinstance(flags, str):
        raise TypeError(f"flags must be a sequence of strings, not the string {flags!r}")
    phrases: list[str] = []
    for flag in flags:
        if flag and flag.strip() and (p := _flag_phrase(flag)) not in phrases:
            phrases.append(p)
    return f"Visible defects: {join_words(phrases)}." if phrases else ""


def structured_caption(
    frames: np.ndarray,
    latent_labels: Sequence[int] | np.ndarray,
    flags: Sequence[str] = (),
    duration_s: float | None = None,
) -> str:
    """Caption from frames [N, H, W, 3] uint8, per-latent action labels [L], defect flags and duration."""
    light = brightness_word(frames)
    if duration_s is not None and not (np.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"duration_s must be a positive number of seconds, got {duration_s}")
    length = f" {float(duration_s):.1f}-second" if duration_s is not None else ""
    sentences = [f"A {light}{length} clip."]
    sentences.append(describe_motion(latent_labels))
    colours = dominant_colours(frames)
    if colours:
        noun = "colour is" if len(colours) == 1 else "colours are"
        sentences.append(f"The dominant {noun} {join_words(colours)}.")
    defects = describe_flags(flags)
    if defects:
        sentences.append(defects)
    return " ".join(sentences)
