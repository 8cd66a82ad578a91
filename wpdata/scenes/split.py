"""Train/test split as gsplat's example trainer: every ``every``-th image (index % every == 0) held out."""

from __future__ import annotations


def split_every(n: int, every: int = 8) -> tuple[list[int], list[int]]:
    """(train indices, test indices) of ``n`` images with every ``every``-th image held out."""
    if every < 2:
        raise ValueError(f"split_every: every must be >= 2, got {every}")
    test = [i for i in range(n) if i % every == 0]
    return [i for i in range(n) if i % every != 0], test
