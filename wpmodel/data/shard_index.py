"""A shard's sidecar index (``<shard>.idx.safetensors``, written by ``wpdata.shards.shard_index``), loaded
and checked against the tar beside it.

The index holds, for the whole shard, what the per-sample reader would parse member by member: the
byte offset of every member, poses, intrinsics, actions, caption embeddings, the latent tensor's
offset / shape / dtype / stored order (``latent_layout``) and the json bytes (format: that module's docstring; version ``INDEX_VERSION``).
It is used only when its recorded tar size and edge digest (sha256 of the size, the first 512 and
the last 8192 bytes of the tar) match the tar; otherwise ``load_index`` returns the reason and the
reader takes the per-sample path for that shard. The edge digest is a cheap check, not a full hash:
the project's writer removes a shard's index before it writes the tar again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from manifests.latent_format import CHANNEL_MAJOR, LAYOUTS, TIME_MAJOR
from manifests.safetensors_format import DTYPES, safetensors_header

INDEX_FORMAT = "wp-shard-index"  # = wpdata.shards.shard_index.INDEX_FORMAT (no import across packages)
INDEX_VERSION = "2"  # 2 added ``latent_layout``; a version 1 index (all latents CTHW) is read too
_VERSIONS = ("1", INDEX_VERSION)
INDEX_SUFFIX = ".idx.safetensors"
EDGE_BYTES = 8192
_INT = ("member_offset", "member_size", "frames", "num_latents", "latent_offset", "latent_shape", "json_size")


def index_path(url: str) -> str:
    """The sidecar index of ``<name>.tar``: ``<name>.idx.safetensors``."""
    return (url[: -len(".tar")] if url.endswith(".tar") else url) + INDEX_SUFFIX


class IndexMismatch(ValueError):
    """The index does not describe the tar beside it (or is unreadable); ``reason`` is countable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(eq=False)
class ShardIndex:
    """The index of one local shard, with the shard's file held open for latent reads."""

    url: str
    keys: list[str]
    suffixes: list[str]
    latent_dtype: str  # safetensors code, e.g. "F16"
    time_major: (
        bool  # the ok samples' latents are stored [T_lat, C, h, w] (layout TCHW), else [C, T_lat, h, w]
    )
    a: dict[str, np.ndarray]  # the index tensors by name (module docstring of wpdata.shards.shard_index)
    fd: int
    frame_start: np.ndarray = field(init=False)  # [N] first row of each sample in c2w / K
    latent_start: np.ndarray = field(init=False)  # [N] first row of each sample in action
    json_start: np.ndarray = field(init=False)  # [N]
    _json: bytes | None = field(init=False, default=None)
    # the last windows' re-centred poses (``wpmodel.data.indexed.ShardWindows``): (key, (c2w, K))
    poses_kept: tuple[Any, tuple[np.ndarray, np.ndarray]] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        a = self.a
        self.frame_start = np.concatenate([[0], np.cumsum(a["frames"])])[:-1].astype(np.int64)
        self.latent_start = np.concatenate([[0], np.cumsum(a["num_latents"])])[:-1].astype(np.int64)
        self.json_start = np.concatenate([[0], np.cumsum(a["json_size"])])[:-1].astype(np.int64)
        self.ok = a["ok"].astype(bool)  # [N]
        self.has_caption = a["has_caption"].astype(bool)  # [N]
        weakref.finalize(self, os.close, self.fd)

    def __len__(self) -> int:
        return len(self.keys)

    def json_bytes(self, rows: list[int]) -> list[bytes]:
        """The json member bytes of samples ``rows`` (b"" where a sample has none)."""
        if self._json is None:
            self._json = self.a["json"].tobytes()
        blob, starts, sizes = self._json, self.json_start, self.a["json_size"]
        return [blob[s : s + n] for s, n in zip(starts[rows].tolist(), sizes[rows].tolist(), strict=True)]

    def meta(self, i: int) -> dict[str, Any] | None:
        """The json dict of sample ``i`` (None where it has no json member)."""
        blob = self.json_bytes([i])[0]
        return json.loads(blob) if blob else None


def _tensors(buf: bytearray) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The index's tensors (views of ``buf``) and metadata; raises ValueError if malformed."""
    entries, meta = safetensors_header(buf)
    out = {
        name: np.frombuffer(buf, DTYPES[code], math.prod(shape), at).reshape(shape)
        for name, (code, shape, at) in entries.items()
    }
    return out, meta


def _check(a: dict[str, np.ndarray], meta: dict[str, str], keys: list[str], suffixes: list[str]) -> None:
    N, S = len(keys), len(suffixes)
    shapes = {"member_offset": (N, S), "member_size": (N, S), "ok": (N,), "frames": (N,), "num_latents": (N,),
              "has_caption": (N,), "latent_offset": (N,), "latent_shape": (N, 4), "json_size": (N,)}  # fmt: skip
    for name, shape in shapes.items():
        if a[name].shape != shape:
            raise IndexMismatch("bad", f"{name} is {list(a[name].shape)}, expected {list(shape)}")
    if a["c2w"].shape[1:] != (4, 4) or a["K"].shape != (len(a["c2w"]), 3, 3) or a["caption"].shape[0] != N:
        raise IndexMismatch("bad", "c2w / K / caption shapes do not fit")
    if len(a["c2w"]) != a["frames"].sum() or len(a["action"]) != a["num_latents"].sum():
        raise IndexMismatch("bad", "pose / action rows do not add up")
    if len(a["json"]) != a["json_size"].sum():
        raise IndexMismatch("bad", "json bytes do not add up")
    if a["ok"].any() and meta.get("latent_dtype") not in DTYPES:
        raise IndexMismatch("bad", f"latent dtype {meta.get('latent_dtype')!r}")
    if meta.get("latent_layout", CHANNEL_MAJOR) not in LAYOUTS:
        raise IndexMismatch("bad", f"latent layout {meta.get('latent_layout')!r}")


def load_index(url: str) -> ShardIndex:
    """The checked index of the local shard ``url``; raises IndexMismatch (reason ``missing``,
    ``stale:size``, ``stale:digest``, ``version`` or ``bad``) when it cannot be used."""
    path = index_path(url)
    try:
        with open(path, "rb", buffering=0) as f:
            buf = bytearray(os.fstat(f.fileno()).st_size)
            f.readinto(buf)
    except FileNotFoundError:
        raise IndexMismatch("missing", f"{url}: no index {path}") from None
    try:
        a, meta = _tensors(buf)
        if meta.get("format") != INDEX_FORMAT or meta.get("version") not in _VERSIONS:
            raise IndexMismatch("version", f"{path}: format {meta.get('format')} {meta.get('version')}")
        keys, suffixes = json.loads(meta["keys"]), json.loads(meta["suffixes"])
        for name in _INT:
            if a[name].dtype != np.int64:
                raise IndexMismatch("bad", f"{path}: {name} is {a[name].dtype}")
        _check(a, meta, keys, suffixes)
    except IndexMismatch:
        raise
    except Exception as exc:  # noqa: BLE001 - an unreadable index only means the slow path
        raise IndexMismatch("bad", f"{path}: unreadable index ({type(exc).__name__}: {exc})") from exc
    fd = os.open(url, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if str(size) != meta.get("tar_size"):
            raise IndexMismatch(
                "stale:size", f"{path}: for a {meta.get('tar_size')}-byte tar, {url} has {size}"
            )
        head = os.pread(fd, 512, 0)
        tail = os.pread(fd, min(size, EDGE_BYTES), max(0, size - EDGE_BYTES))
        if hashlib.sha256(str(size).encode() + b"|" + head + b"|" + tail).hexdigest() != meta.get(
            "tar_edge_sha256"
        ):
            raise IndexMismatch("stale:digest", f"{path}: {url} is not the tar this index describes")
    except BaseException:
        os.close(fd)
        raise
    time_major = meta.get("latent_layout") == TIME_MAJOR
    return ShardIndex(url, keys, suffixes, meta.get("latent_dtype", ""), time_major, a, fd)


def is_indexable(url: str) -> bool:
    """A local tar that may have a sidecar index (not ``pipe:``, not a remote url)."""
    return "://" not in url and not url.startswith("pipe:") and url != "-" and Path(url).suffix == ".tar"


def _file_state(path: str) -> tuple[int, int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class IndexCache:
    """``load_index`` with the last ``size`` loaded indexes kept across epochs.

    A kept index is handed out again while the tar and its index file are the same files, unchanged
    (device, inode, size, mtime and ctime of both); otherwise it is loaded and checked again. An index
    costs ~1.6 ms to load and check per shard of 512 small samples, a tenth of an epoch of their latents.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._kept: dict[str, tuple[tuple, ShardIndex]] = {}  # url -> (file states, index), oldest first

    def get(self, url: str) -> ShardIndex:
        """The checked index of ``url`` (raises IndexMismatch / OSError as ``load_index``)."""
        try:
            state = (_file_state(url), _file_state(index_path(url)))
        except FileNotFoundError:
            state = None
        kept = self._kept.pop(url, None)
        if kept is not None and state is not None and kept[0] == state:
            self._kept[url] = kept  # most recently used last
            return kept[1]
        index = load_index(url)
        if state is not None and self.size > 0:
            self._kept[url] = (state, index)
            while len(self._kept) > self.size:
                self._kept.pop(next(iter(self._kept)))
        return index
