"""The per-shard index: a sidecar ``<shard>.idx.safetensors`` beside ``<shard>.tar`` that lets a reader
build latent batches without parsing tar headers, npy or json member by member.

Why a sidecar and not a tar member: the tar stays a plain WebDataset shard (stock webdataset and wids
read it as before). Why safetensors: deterministic bytes (sorted header, no timestamps, unlike
``np.savez``'s zip) and a zero-copy read. Layout (``INDEX_VERSION`` 2; ``wpmodel.data.shard_index``
reads it), N samples, S member suffixes:

- ``member_offset`` / ``member_size`` int64 [N, S]: byte offset of each member's data in the tar and
  its size (-1: the sample lacks that member); ``ok`` uint8 [N]: 1 when the sample is usable in latents
  mode exactly as stored here (members present, float32 poses, finite, labels < 81, lengths agree,
  a 4-d latent in the shard's ``latent_dtype`` and ``latent_layout``, json an object); 0: read it the slow way.
- ``frames`` / ``num_latents`` int64 [N] and, concatenated over the ``ok`` samples, ``c2w`` float32
  [sum T, 4, 4], ``K`` float32 [sum T, 3, 3] (a [3, 3] K repeated), ``action`` int16 [sum T_lat].
- ``caption`` float32 [N, D], ``has_caption`` uint8 [N]; ``latent_offset`` int64 [N] (the latent
  tensor's data in the tar), ``latent_shape`` int64 [N, 4] ([C, T_lat, h, w] whatever the stored order); ``json`` uint8 [sum bytes], ``json_size``
  int64 [N].
- metadata: ``keys`` and ``suffixes`` (JSON lists), ``latent_dtype``, ``latent_layout`` (the stored
  order of the ``ok`` samples' latents, ``wpdata.shards.latent_file``: ``TCHW`` or ``CTHW``; new in
  version 2, version 1 indexes were all ``CTHW``), ``tar_size``, ``tar_sha256`` and
  ``tar_edge_sha256`` (sha256 of the size, the first 512 and the last 8192 bytes: a cheap check
  that the tar beside the index is the one it describes).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from manifests.actions import NUM_ACTIONS
from manifests.atomic import atomic_write_bytes
from manifests.latent_format import TIME_MAJOR, latent_layout
from manifests.layout import num_latents
from manifests.safetensors_format import DTYPES, Entries, safetensors_bytes, safetensors_header

INDEX_FORMAT = "wp-shard-index"
INDEX_VERSION = 2
INDEX_SUFFIX = ".idx.safetensors"
LATENT_CODES = ("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8")  # latents a batch can hold
EDGE_BYTES = 8192


def index_path(tar_path: str | os.PathLike) -> Path:
    """The sidecar index of ``<name>.tar``: ``<name>.idx.safetensors`` in the same folder."""
    p = Path(tar_path)
    return p.with_name(
        p.name[: -len(".tar")] + INDEX_SUFFIX if p.name.endswith(".tar") else p.name + INDEX_SUFFIX
    )


def edge_digest(path: str | os.PathLike) -> str:
    """sha256 of the file's size, first 512 bytes and last ``EDGE_BYTES`` bytes (hex)."""
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        head = os.pread(f.fileno(), 512, 0)
        tail = os.pread(f.fileno(), min(size, EDGE_BYTES), max(0, size - EDGE_BYTES))
    return hashlib.sha256(str(size).encode() + b"|" + head + b"|" + tail).hexdigest()


def _npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def _caption(members: dict[str, bytes], tensors: Entries) -> np.ndarray | None:
    """The caption embedding [D] float32 as the reader forms it (latent.safetensors first)."""
    if "caption_embedding" in tensors:
        dtype, shape, at = tensors["caption_embedding"]
        raw = np.frombuffer(members["latent.safetensors"], DTYPES[dtype], math.prod(shape), at)
        if dtype == "BF16":
            return (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.astype(np.float32)
    if "caption.npy" in members:
        return _npy(members["caption.npy"]).astype(np.float32).reshape(-1)
    return None


def index_row(members: dict[str, bytes]) -> dict[str, Any] | None:
    """What the index holds of one sample usable in latents mode, or None (the reader's slow path)."""
    try:
        meta = json.loads(members["json"])
        c2w, K, a = (_npy(members[s]) for s in ("c2w.npy", "K.npy", "action.npy"))
        tensors, st_meta = safetensors_header(members["latent.safetensors"])
        caption = _caption(members, tensors)
        dtype, shape, at = tensors["latent"]
        layout = latent_layout(st_meta)
        if layout == TIME_MAJOR and len(shape) == 4:
            shape = [shape[1], shape[0], *shape[2:]]  # the index holds [C, T_lat, h, w] for both layouts
    except Exception:  # noqa: BLE001 - anything unreadable is left to the reader's per-sample checks
        return None
    T = len(c2w)
    good = (
        isinstance(meta, dict)
        and c2w.dtype == np.float32 and c2w.ndim == 3 and c2w.shape[1:] == (4, 4) and T > 0
        and bool(np.isfinite(c2w).all())
        and K.dtype == np.float32 and (K.shape == (3, 3) or K.shape == (T, 3, 3))
        and a.dtype.kind in "iu" and a.ndim == 1 and len(a) == num_latents(max(T, 1))
        and (a.size == 0 or (a.min() >= 0 and a.max() < NUM_ACTIONS))
        and len(shape) == 4 and shape[1] == len(a) and dtype in LATENT_CODES
    )  # fmt: skip
    if not good:
        return None
    K = np.ascontiguousarray(np.broadcast_to(K, (T, 3, 3)))  # [T, 3, 3]
    return {"c2w": c2w, "K": K, "action": a.astype(np.int16), "caption": caption, "dtype": dtype,
            "layout": layout, "latent_at": at, "latent_shape": shape, "json": bytes(members["json"])}  # fmt: skip


class IndexBuilder:
    """Collects the index rows of a shard's samples as the writer adds them."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.members: list[dict[str, tuple[int, int]]] = []  # suffix -> (data offset, size)
        self.rows: list[dict[str, Any] | None] = []

    def add(self, key: str, members: dict[str, bytes], offsets: dict[str, int]) -> None:
        """Add a sample: its member bytes and each member's data offset in the tar."""
        self.keys.append(key)
        self.members.append({s: (offsets[s], len(members[s])) for s in members})
        self.rows.append(index_row(members))

    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        """The index tensors and metadata (see the module docstring)."""
        rows, N = self.rows, len(self.keys)
        suffixes = sorted({s for m in self.members for s in m})
        dtypes = sorted({r["dtype"] for r in rows if r is not None})
        dims = sorted({len(r["caption"]) for r in rows if r is not None and r["caption"] is not None})
        D = dims[0] if dims else 0
        layout = next((r["layout"] for r in rows if r is not None), TIME_MAJOR)
        for i, r in enumerate(rows):  # one latent dtype, layout and caption size per shard on the fast path
            if r is not None and (
                r["dtype"] != dtypes[0]
                or r["layout"] != layout
                or (r["caption"] is not None and len(r["caption"]) != D)
            ):
                rows[i] = None
        ok = [r is not None for r in rows]
        pos = np.full((N, len(suffixes), 2), -1, np.int64)  # [N, S, (offset, size)]
        for i, m in enumerate(self.members):
            for j, s in enumerate(suffixes):
                pos[i, j] = m.get(s, (-1, -1))
        good = [r for r in rows if r is not None]

        def cat(name: str, shape: tuple[int, ...], dt: type) -> np.ndarray:
            return np.concatenate([r[name] for r in good]).astype(dt) if good else np.zeros(shape, dt)

        caption = np.zeros((N, D), np.float32)  # [N, D]
        for i, r in enumerate(rows):
            if r is not None and r["caption"] is not None:
                caption[i] = r["caption"]
        js = [r["json"] if r is not None else b"" for r in rows]
        tensors = {
            "member_offset": np.ascontiguousarray(pos[..., 0]),
            "member_size": np.ascontiguousarray(pos[..., 1]),
            "ok": np.array(ok, np.uint8),
            "frames": np.array([len(r["c2w"]) if r is not None else 0 for r in rows], np.int64),
            "num_latents": np.array([len(r["action"]) if r is not None else 0 for r in rows], np.int64),
            "c2w": cat("c2w", (0, 4, 4), np.float32),
            "K": cat("K", (0, 3, 3), np.float32),
            "action": cat("action", (0,), np.int16),
            "caption": caption,
            "has_caption": np.array([r is not None and r["caption"] is not None for r in rows], np.uint8),
            "latent_offset": np.array(
                [
                    m["latent.safetensors"][0] + r["latent_at"] if r is not None else -1
                    for m, r in zip(self.members, rows, strict=True)
                ],
                np.int64,
            ),  # fmt: skip
            "latent_shape": np.array(
                [r["latent_shape"] if r is not None else [0] * 4 for r in rows], np.int64
            ).reshape(N, 4),
            "json": np.frombuffer(b"".join(js), np.uint8).copy(),
            "json_size": np.array([len(j) for j in js], np.int64),
        }
        meta = {"keys": json.dumps(self.keys), "suffixes": json.dumps(suffixes),
                "latent_dtype": dtypes[0] if dtypes else "", "latent_layout": layout}  # fmt: skip
        return tensors, meta


def write_index(builder: IndexBuilder, tar_path: str | os.PathLike, tar_sha256: str) -> Path:
    """Write the sidecar index of the finished shard ``tar_path`` atomically; returns its path."""
    tensors, meta = builder.arrays()
    meta |= {"format": INDEX_FORMAT, "version": str(INDEX_VERSION), "tar_size": str(os.path.getsize(tar_path)),
             "tar_sha256": tar_sha256, "tar_edge_sha256": edge_digest(tar_path)}  # fmt: skip
    return atomic_write_bytes(index_path(tar_path), safetensors_bytes(tensors, meta))
