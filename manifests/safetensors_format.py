"""The safetensors format with numpy only: dtype codes, a checked header parser, a deterministic writer.

Shared by the shard writer (``wpdata.shards``) and the trainer's reader (``wpmodel.data``), which may
not import each other. Why not ``safetensors.numpy``: its ``save`` keeps metadata in a hash map whose
key order changes from process to process (a file with two metadata keys gets other bytes on every
run) and it has no bfloat16 for numpy; its ``load`` copies every tensor. The format is small: an
8-byte little-endian header length, a JSON header ``{name: {dtype, shape, data_offsets},
"__metadata__": {str: str}}`` (offsets relative to the end of the header), then the raw
little-endian data.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["DTYPES", "Entries", "safetensors_bytes", "safetensors_header"]

DTYPES: dict[str, np.dtype] = {
    code: np.dtype(t)
    for code, t in {
        "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",  # bfloat16 bits as uint16 (numpy lacks it)
        "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
        "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
    }.items()
}  # fmt: skip
_CODES = {v: k for k, v in DTYPES.items() if k != "BF16"}  # numpy dtype -> code (uint16 stays U16)
Entries = dict[str, tuple[str, list[int], int]]  # name -> (dtype code, shape, byte offset of its data)


def safetensors_header(data: bytes | bytearray | memoryview) -> tuple[Entries, dict[str, str]]:
    """The tensors ``{name: (dtype code, shape, byte offset of its data in data)}``, each checked to fit,
    and the ``__metadata__`` strings; raises ValueError if anything is malformed."""
    view = memoryview(data)
    if len(view) < 8:
        raise ValueError(f"{len(view)} bytes are too short for a safetensors header")
    n = int.from_bytes(view[:8], "little")
    if n > len(view) - 8:
        raise ValueError(f"header length {n} runs past the {len(view)} bytes")
    try:
        header = json.loads(bytes(view[8 : 8 + n]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"header is not JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    base, size = 8 + n, len(view) - 8 - n
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise ValueError("__metadata__ is not a JSON object")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = info["dtype"], [int(x) for x in info["shape"]], info["data_offsets"]
            itemsize = DTYPES[dtype].itemsize
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"tensor {name!r}: bad header entry {info!r}") from exc
        if not 0 <= begin <= end <= size or end - begin != math.prod(shape) * itemsize:
            raise ValueError(f"tensor {name!r}: offsets {[begin, end]} do not fit {shape} {dtype}")
        out[name] = (dtype, shape, base + begin)
    return out, meta


def safetensors_bytes(
    tensors: dict[str, np.ndarray], metadata: dict[str, str], codes: dict[str, str] | None = None
) -> bytes:
    """The safetensors file of ``tensors`` and string ``metadata``: keys sorted, tensors by item size
    (largest first, so each is aligned) then name, header padded with spaces to 8 bytes. ``codes``
    overrides a tensor's dtype code (``"BF16"`` for 16-bit integers that hold bfloat16 bits)."""
    codes = codes or {}
    order = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))
    header: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))}
    at, blobs = 0, []
    for name in order:
        a = np.ascontiguousarray(tensors[name])
        blob = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        code = codes.get(name) or _CODES[a.dtype.newbyteorder("<")]
        if DTYPES[code].itemsize != a.dtype.itemsize:
            raise ValueError(f"tensor {name!r}: {a.dtype} cannot be stored as {code}")
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [at, at + len(blob)]}
        at += len(blob)
        blobs.append(blob)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)
