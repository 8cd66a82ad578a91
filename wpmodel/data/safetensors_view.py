"""safetensors bytes -> torch tensors that are views of those bytes (no copy).

``safetensors.torch.load`` copies every tensor out of the buffer (and would need ``bytes``, so a shard
member that is a view of the mapped tar would be copied twice). The format is small enough to read
here (header parsing: ``manifests.safetensors_format``, shared with the shard writer). Tensors come from
``np.frombuffer`` at those offsets (bfloat16, which numpy lacks, as uint16 re-viewed by torch). A
read-only buffer (``bytes``) gives copies instead, since torch cannot wrap read-only memory.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from manifests.safetensors_format import DTYPES, Entries, safetensors_header

__all__ = ["Entries", "load_safetensors", "safetensors_header", "safetensors_layout"]


def safetensors_layout(data: bytes | bytearray | memoryview) -> Entries:
    """``{name: (safetensors dtype, shape, byte offset of its data in data)}``, every entry checked to
    fit; raises ValueError if malformed."""
    return safetensors_header(data)[0]


def load_safetensors(
    data: bytes | bytearray | memoryview, entries: Entries | None = None
) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors buffer, viewing it where it is writable; raises ValueError if malformed.
    ``entries``: its ``safetensors_layout`` when the caller has parsed it already."""
    view = memoryview(data)
    writable = not view.readonly
    out = {}
    for name, (dtype, shape, offset) in (entries or safetensors_layout(view)).items():
        arr = np.frombuffer(view, dtype=DTYPES[dtype], count=math.prod(shape), offset=offset).reshape(shape)
        t = torch.from_numpy(arr if writable else arr.copy())
        out[name] = t.view(torch.bfloat16) if dtype == "BF16" else t
    return out
