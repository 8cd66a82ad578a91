"""safetensors bytes written deterministically and headers parsed, with numpy only.

Why not ``safetensors.numpy``: its ``save`` keeps metadata in a hash map whose key order changes from
process to process (so a file with two metadata keys has other bytes on every run) and it has no
bfloat16 for numpy; its ``load`` copies every tensor. The format is small: an 8-byte little-endian
header length, a JSON header ``{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}``
(offsets relative to the end of the header), then the raw little-endian data.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
             "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}  # fmt: skip
_CODES = {np.dtype(v): k for k, v in ST_DTYPES.items() if k != "BF16"}
Entries = dict[str, tuple[str, list[int], int]]  # name -> (dtype code, shape, byte offset of its data)


def safetensors_header(data: bytes | memoryview) -> tuple[Entries, dict[str, str]]:
    """The tensors (dtype, shape, data offset in ``data``) and metadata; raises on anything malformed."""
    n = int.from_bytes(data[:8], "little")
    header = json.loads(bytes(data[8 : 8 + n]))
    meta = header.pop("__metadata__", None) or {}
    out = {}
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], [int(x) for x in info["shape"]], info["data_offsets"]
        if (
            not 0 <= begin <= end <= len(data) - 8 - n
            or end - begin != math.prod(shape) * np.dtype(ST_DTYPES[dtype]).itemsize
        ):
            raise ValueError(f"tensor {name!r} does not fit")
        out[name] = (dtype, shape, 8 + n + begin)
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
        if np.dtype(ST_DTYPES[code]).itemsize != a.dtype.itemsize:
            raise ValueError(f"tensor {name!r}: {a.dtype} cannot be stored as {code}")
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [at, at + len(blob)]}
        at += len(blob)
        blobs.append(blob)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)
