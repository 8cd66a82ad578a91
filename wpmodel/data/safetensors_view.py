"""safetensors bytes -> torch tensors that are views of those bytes (no copy).

``safetensors.torch.load`` copies every tensor out of the buffer (and would need ``bytes``, so a shard
member that is a view of the mapped tar would be copied twice). The format is small enough to read
here: an 8-byte little-endian header length, a JSON header ``{name: {dtype, shape, data_offsets}}``
(offsets relative to the end of the header), then the raw little-endian data. Tensors come from
``np.frombuffer`` at those offsets (bfloat16, which numpy lacks, as uint16 re-viewed by torch). A
read-only buffer (``bytes``) gives copies instead, since torch cannot wrap read-only memory.
"""

from __future__ import annotations

import json
import math

import numpy as np
import torch

_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "BF16": np.uint16,  # re-viewed as torch.bfloat16
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U64": np.uint64,
    "U32": np.uint32,
    "U16": np.uint16,
    "U8": np.uint8,
    "BOOL": np.bool_,
}


Entries = dict[str, tuple[str, list[int], int]]  # name -> (safetensors dtype, shape, data offset)


def safetensors_layout(data: bytes | bytearray | memoryview) -> Entries:
    """``{name: (safetensors dtype, shape, byte offset of its data in data)}``, every entry checked to
    fit; raises ValueError if malformed."""
    return safetensors_header(data)[0]


def safetensors_header(data: bytes | bytearray | memoryview) -> tuple[Entries, dict[str, str]]:
    """The tensor entries (as ``safetensors_layout``) and the ``__metadata__`` strings; raises ValueError."""
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
            dtype, shape, (begin, end) = info["dtype"], list(info["shape"]), info["data_offsets"]
            itemsize = np.dtype(_DTYPES[dtype]).itemsize
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"tensor {name!r}: bad header entry {info!r}") from exc
        if not 0 <= begin <= end <= size or end - begin != math.prod(shape) * itemsize:
            raise ValueError(f"tensor {name!r}: offsets {[begin, end]} do not fit {shape} {dtype}")
        out[name] = (dtype, shape, base + begin)
    return out, meta


def load_safetensors(
    data: bytes | bytearray | memoryview, entries: Entries | None = None
) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors buffer, viewing it where it is writable; raises ValueError if malformed.
    ``entries``: its ``safetensors_layout`` when the caller has parsed it already."""
    view = memoryview(data)
    writable = not view.readonly
    out = {}
    for name, (dtype, shape, offset) in (entries or safetensors_layout(view)).items():
        arr = np.frombuffer(view, dtype=_DTYPES[dtype], count=math.prod(shape), offset=offset).reshape(shape)
        t = torch.from_numpy(arr if writable else arr.copy())
        out[name] = t.view(torch.bfloat16) if dtype == "BF16" else t
    return out
