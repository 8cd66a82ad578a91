"""A batch's json metadata as a sequence that parses each sample's json only when it is read.

The trainer never reads ``batch["meta"]``; parsing a shard's json for every batch cost the indexed
reader ~5% of its time on small latents. ``JsonList`` holds the json bytes and behaves as the list of
dicts the per-sample path gives (indexing, slicing, iteration, ``len``, ``==`` with a list, pickling).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any


class JsonList(Sequence):
    """The parsed json of each of ``blobs`` (empty bytes read as None), parsed on first access."""

    __slots__ = ("_blobs", "_parsed")

    def __init__(self, blobs: list[bytes]) -> None:
        self._blobs = blobs
        self._parsed: list[Any] | None = None

    def _items(self) -> list[Any]:
        if self._parsed is None:
            self._parsed = [json.loads(b) if b else None for b in self._blobs]
        return self._parsed

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, i: Any) -> Any:
        return self._items()[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (JsonList, list)):
            return self._items() == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._items())

    def __reduce__(self) -> tuple:
        return (JsonList, (self._blobs,))
