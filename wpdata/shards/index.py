"""The wids dataset index of a set of shards, written atomically.

Format (``wids.wids_specs.resolve_dsdesc``): ``{"wids_version": 1, "name": ..., "shardlist": [{"url":
..., "nsamples": ..., "filesize": ...}]}``. ``url`` is relative to the index file's folder (wids
resolves it against the folder the descriptor was loaded from), so the folder can be moved whole.
``wids.ShardListDataset("<folder>/<split>.wids.json")`` then indexes the samples.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from manifests.atomic import atomic_write_text

WIDS_VERSION = 1


@dataclass(frozen=True)
class IndexEntry:
    """One shard in an index."""

    path: Path  # the shard tar
    nsamples: int
    filesize: int


def wids_index(entries: Iterable[IndexEntry], index_path: str | os.PathLike, name: str) -> dict:
    """The wids descriptor dict, shard urls relative to ``index_path``'s folder, in path order."""
    folder = Path(index_path).resolve().parent
    shardlist = []
    for e in sorted(entries, key=lambda e: str(e.path)):
        if int(e.nsamples) < 1:
            raise ValueError(f"wids index {index_path}: shard {e.path} has no samples")
        url = Path(os.path.relpath(Path(e.path).resolve(), folder)).as_posix()
        shardlist.append({"url": url, "nsamples": int(e.nsamples), "filesize": int(e.filesize)})
    return {"wids_version": WIDS_VERSION, "name": name, "shardlist": shardlist}


def write_wids_index(entries: Iterable[IndexEntry], index_path: str | os.PathLike, name: str) -> Path:
    """Write the wids index JSON atomically (sorted keys: same shards, same bytes); returns its path."""
    desc = wids_index(entries, index_path, name)
    return atomic_write_text(index_path, json.dumps(desc, indent=1, sort_keys=True) + "\n")
