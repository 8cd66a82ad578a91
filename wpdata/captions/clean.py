"""Tidy a VLM caption: drop "The video shows ..."-style openings, collapse whitespace, cut a dangling end.

Plain regular expressions: the openings VLMs put before the content ("The video shows", "This clip
depicts", "In this video,", "These frames show", "The scene is", "Sure! Here is a description:") are
a closed, small set. Openings are stripped repeatedly ("Sure. The video shows ..."), case-insensitive,
and the remainder is capitalised. When generation stopped mid-sentence (the text does not end with
`.`, `!` or `?`), the unfinished last sentence is dropped if at least one full sentence remains.
"""

from __future__ import annotations

import re

__all__ = ["drop_incomplete_sentence", "strip_boilerplate"]

_MEDIA = (
    r"(?:video|videos|clip|footage|film|image|images|picture|pictures|frames?|sequence|shot|scene|photos?)"
)
_VERB = (
    r"(?:shows?|showcases?|depicts?|features?|captures?|presents?|displays?|portrays?|illustrates?|contains?"
    r"|(?:appears?|seems?) to (?:show|depict|be)|is showing|are showing|is|are)"
)
_OPENINGS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:sure|certainly|okay|ok|of course)\s*[!,.:]\s*",
        r"^here(?:'s| is) (?:a |the )?(?:short |brief |detailed )?(?:description|caption|summary)\b[^:.]*[:.]\s*",
        r"^(?:in|throughout|across) (?:this|the|these) " + _MEDIA + r"\s*,?\s*(?:we (?:can )?see\s+)?",
        r"^(?:the|this|these|those) (?:given |provided |sampled )?"
        + _MEDIA
        + r" "
        + _VERB
        + r"\s*(?:that\s+)?[:,]?\s*",
        r"^(?:we (?:can )?see|you can see)\s+",
    )
]
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")
_SPACE = re.compile(r"\s+")


def drop_incomplete_sentence(text: str) -> str:
    """`text` without a trailing unfinished sentence, when at least one finished sentence comes before it."""
    text = text.strip()
    ends = list(_SENTENCE_END.finditer(text))
    if not ends:
        return text
    last = ends[-1].end()
    return text[:last] if last < len(text) else text


def strip_boilerplate(text: str) -> str:
    """The caption without boilerplate openings, with single spaces, capitalised, unfinished end dropped."""
    text = _SPACE.sub(" ", text or "").strip()
    changed = True
    while changed and text:
        changed = False
        for pattern in _OPENINGS:
            stripped = pattern.sub("", text, count=1)
            if stripped != text:
                text, changed = stripped.lstrip(" ,:;-"), True
    text = drop_incomplete_sentence(text)
    return text[:1].upper() + text[1:]
