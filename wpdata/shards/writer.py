"""A WebDataset shard writer: byte-deterministic tar, written under a temporary name, renamed when complete.

Uses the standard library's ``tarfile`` rather than ``webdataset.TarWriter``: TarWriter stamps each
member with the current time and encodes values itself, while here every header field is fixed (mtime
0, uid / gid 0, empty uname / gname, mode 0444, POSIX pax format for long names) and members are raw
bytes. Samples must arrive in strictly increasing key order; a sample's members are written in
``manifests.layout.MEMBERS`` order. The tar is written to a hidden temp name in the shard's folder
(``manifests.atomic.atomic_path``) and renamed onto the final name only when the ``with`` block ends
without an exception, so a crash never leaves a partial shard under its final name. With
``index=True`` the writer also leaves the shard's sidecar index (``wpdata.shards.shard_index``), written
after the tar is complete. Any index of an earlier tar under the same name is removed first (also
without ``index``), so a stale index never sits beside a new tar.
"""

from __future__ import annotations

import io
import os
import tarfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from manifests.atomic import atomic_path
from manifests.ids import file_sha256
from manifests.layout import MEMBERS, safe_key
from wpdata.shards.shard_index import IndexBuilder, index_path, write_index

MTIME = 0
MODE = 0o444


@dataclass(frozen=True)
class ShardResult:
    """What a finished shard holds."""

    path: Path
    num_samples: int
    num_bytes: int
    sha256: str


def _info(name: str, size: int) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime, ti.mode, ti.type = size, MTIME, MODE, tarfile.REGTYPE
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


class ShardWriter:
    """``with ShardWriter(path) as w: w.write(key, members)``; ``w.result`` after the block."""

    def __init__(self, path: str | os.PathLike, index: bool = False) -> None:
        self.path = Path(path)
        self._index = IndexBuilder() if index else None
        if self.path.suffix != ".tar":
            raise ValueError(f"shard path must end in .tar, got {self.path}")
        self._stack = ExitStack()
        self._tar: tarfile.TarFile | None = None
        self._last_key: str | None = None
        self.num_samples = 0
        self.result: ShardResult | None = None

    def __enter__(self) -> ShardWriter:
        index_path(self.path).unlink(missing_ok=True)  # never an old index beside a new tar
        tmp = self._stack.enter_context(atomic_path(self.path, suffix=".tar.tmp"))
        self._tar = tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT)
        self._tar.encoding = "utf-8"
        return self

    def write(self, key: str, members: dict[str, bytes]) -> None:
        """Add one sample: ``members`` maps a suffix of ``MEMBERS`` to its bytes."""
        if self._tar is None:
            raise RuntimeError(f"ShardWriter({self.path}) used outside its with-block")
        if safe_key(key) != key:
            raise ValueError(
                f"{self.path}: sample key {key!r} is not safe (safe_key gives {safe_key(key)!r})"
            )
        if self._last_key is not None and key <= self._last_key:
            raise ValueError(
                f"{self.path}: sample key {key!r} not after {self._last_key!r} (keys must increase)"
            )
        unknown = sorted(set(members) - set(MEMBERS))
        if unknown:
            raise ValueError(f"{self.path}: sample {key!r} has unknown member suffix(es) {unknown}")
        data = {s: bytes(members[s]) for s in MEMBERS if s in members}
        offsets = {}
        for suffix, b in data.items():
            self._tar.addfile(_info(f"{key}.{suffix}", len(b)), io.BytesIO(b))
            offsets[suffix] = self._tar.offset - -(-len(b) // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
        if self._index is not None:
            self._index.add(key, data, offsets)
        self._last_key = key
        self.num_samples += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        tar, self._tar = self._tar, None
        try:
            if tar is not None:
                tar.close()
        except BaseException as close_exc:
            self._stack.__exit__(type(close_exc), close_exc, close_exc.__traceback__)
            raise
        # atomic_path renames the temp file onto the final name on success, removes it on an exception
        self._stack.__exit__(exc_type, exc, tb)
        if exc_type is None:
            size = self.path.stat().st_size
            self.result = ShardResult(self.path, self.num_samples, size, file_sha256(self.path))
            if self._index is not None:
                write_index(self._index, self.path, self.result.sha256)


def write_shard(
    path: str | os.PathLike, samples: list[tuple[str, dict[str, bytes]]], index: bool = False
) -> ShardResult:
    """Write ``(key, members)`` samples (sorted by key here) as one shard (and, with ``index``, its
    sidecar index); returns its result."""
    with ShardWriter(path, index=index) as w:
        for key, members in sorted(samples, key=lambda kv: kv[0]):
            w.write(key, members)
    assert w.result is not None
    return w.result
