"""Counts of what the shard reader skipped, by reason; merged across DataLoader workers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SkipCounter:
    """Samples read / yielded, skipped samples by reason, ignored members by suffix, and shards by how
    their sidecar index was used (``used``, ``missing``, ``stale:size``, ``stale:digest``, ``version``,
    ``bad``: all but ``used`` mean the shard was read per sample; no sample is skipped for it).

    ``examples`` keeps the first full message per reason (reasons are short and countable, the
    message names the sample and the shard).
    """

    samples_read: int = 0
    samples_ok: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> samples
    unknown_members: Counter = field(default_factory=Counter)  # suffix -> members
    index_shards: Counter = field(default_factory=Counter)  # reason -> shards (latents mode)
    examples: dict[str, str] = field(default_factory=dict)

    def skip(self, reason: str, message: str = "") -> None:
        """Count one skipped sample (or unreadable shard) under ``reason``."""
        self.skipped[reason] += 1
        self.examples.setdefault(reason, message or reason)

    def index_fallback(self, reason: str, message: str = "") -> None:
        """Count a shard whose index was not used, under ``reason`` (message kept as ``index:<reason>``)."""
        self.index_shards[reason] += 1
        if reason != "missing":
            self.examples.setdefault(f"index:{reason}", message or reason)

    @property
    def num_skipped(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain-python copy (picklable, JSON-able)."""
        return {
            "samples_read": self.samples_read,
            "samples_ok": self.samples_ok,
            "skipped": dict(self.skipped),
            "unknown_members": dict(self.unknown_members),
            "index_shards": dict(self.index_shards),
            "examples": dict(self.examples),
        }

    def merge(self, other: SkipCounter | dict[str, Any]) -> None:
        """Add another counter (or its ``as_dict()``) into this one."""
        d = other.as_dict() if isinstance(other, SkipCounter) else other
        self.samples_read += d["samples_read"]
        self.samples_ok += d["samples_ok"]
        self.skipped.update(d["skipped"])
        self.unknown_members.update(d["unknown_members"])
        self.index_shards.update(d.get("index_shards", {}))
        for k, v in d["examples"].items():
            self.examples.setdefault(k, v)

    def reset(self) -> None:
        """Zero every count (e.g. at the start of an epoch)."""
        self.samples_read = self.samples_ok = 0
        self.skipped.clear()
        self.unknown_members.clear()
        self.index_shards.clear()
        self.examples.clear()
