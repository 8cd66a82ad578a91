"""Deterministic ids of every manifest table.

All ids are RFC 4122 version-5 UUIDs (SHA-1 of a name) under one fixed project namespace, written as
36-character lower-case strings. The same inputs always give the same id, on every machine and every run,
so re-running a job on the same inputs yields the same rows.

Names hashed (``NAMESPACE`` is :data:`PROJECT_NAMESPACE`):

- ``source_id(uri)``                 -> uuid5(NAMESPACE, "source:" + uri)
- ``source_id(uri, content_hash)``   -> uuid5(NAMESPACE, "source:" + uri + "#" + content_hash)
- ``clip_id(source_id, start, end)`` -> uuid5(NAMESPACE, f"{source_id}:{start}:{end}")
- ``scene_id(uri)``                  -> uuid5(NAMESPACE, "scene:" + uri)
- ``render_id(scene_id, kind, seed)``-> uuid5(NAMESPACE, f"render:{scene_id}:{kind}:{seed}")
- ``shard_id(prefix, index)``        -> f"{prefix}-{index:06d}" (readable; it is also the file stem)
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

# Fixed forever: changing it changes every id the project has ever written.
PROJECT_NAMESPACE = uuid.UUID("6f1c2b8e-2d4a-5c1e-9b7a-3e5f0a1d4c77")

_CHUNK = 1 << 20


def _uuid5(name: str) -> str:
    return str(uuid.uuid5(PROJECT_NAMESPACE, name))


def source_id(uri: str, content_hash: str | None = None) -> str:
    """Id of a source video / image sequence from its URI (and content hash where cheap to get)."""
    if not isinstance(uri, str) or not uri:
        raise ValueError(f"source_id needs a non-empty uri string, got {uri!r}")
    name = f"source:{uri}" if content_hash is None else f"source:{uri}#{content_hash}"
    return _uuid5(name)


def clip_id(source_id: str, start_frame: int, end_frame: int) -> str:
    """Id of the clip [start_frame, end_frame) of a source."""
    start, end = int(start_frame), int(end_frame)
    if start < 0 or end <= start:
        raise ValueError(f"clip_id needs 0 <= start_frame < end_frame, got {start_frame}, {end_frame}")
    return _uuid5(f"{source_id}:{start}:{end}")


def scene_id(uri: str) -> str:
    """Id of a reconstruction scene (a DL3DV / nerfstudio / COLMAP folder) from its URI."""
    if not isinstance(uri, str) or not uri:
        raise ValueError(f"scene_id needs a non-empty uri string, got {uri!r}")
    return _uuid5(f"scene:{uri}")


def render_id(scene_id: str, kind: str, seed: int) -> str:
    """Id of a render of a scene along a trajectory of the given kind and seed."""
    return _uuid5(f"render:{scene_id}:{kind}:{int(seed)}")


def shard_id(prefix: str, index: int) -> str:
    """Readable shard id, also used as the shard file stem: ``train-000003``."""
    if int(index) < 0:
        raise ValueError(f"shard index must be >= 0, got {index}")
    return f"{prefix}-{int(index):06d}"


def file_sha256(path: str | os.PathLike, max_bytes: int | None = None) -> str:
    """Hex SHA-256 of a file's bytes (only the first ``max_bytes`` when given: a cheap content hash)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"file_sha256: no such file: {p}")
    h = hashlib.sha256()
    left = max_bytes if max_bytes is not None else -1
    with open(p, "rb") as f:
        while left != 0:
            n = _CHUNK if left < 0 else min(_CHUNK, left)
            buf = f.read(n)
            if not buf:
                break
            h.update(buf)
            if left > 0:
                left -= len(buf)
    return h.hexdigest()
