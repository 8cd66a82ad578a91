"""A fast ``.npy`` bytes reader: ``np.load`` re-parses the header text of every member (ast, ~150 us),
while a shard's members of one kind share a header, so the parse is cached by the header bytes and the
data is a zero-copy ``np.frombuffer`` view (read-only). Header parsing itself is numpy's
(``numpy.lib.format.read_array_header_*``)."""

from __future__ import annotations

import functools
import io
import math
import struct

import numpy as np
from numpy.lib import format as npformat

_MAGIC = b"\x93NUMPY"


@functools.lru_cache(maxsize=512)
def _header(head: bytes) -> tuple[tuple[int, ...], bool, np.dtype]:
    read = npformat.read_array_header_1_0 if head[6] == 1 else npformat.read_array_header_2_0
    return read(io.BytesIO(head[8:]))


def load_npy(data: bytes) -> np.ndarray:
    """The array of ``.npy`` bytes (no pickles); raises ValueError on anything malformed."""
    if len(data) < 12 or data[:6] != _MAGIC or data[6] not in (1, 2, 3):
        raise ValueError("not a .npy (bad magic or version)")
    if data[6] == 1:
        start = 10 + struct.unpack("<H", data[8:10])[0]
    else:
        start = 12 + struct.unpack("<I", data[8:12])[0]
    shape, fortran, dtype = _header(bytes(data[:start]))
    if dtype.hasobject:
        raise ValueError("object arrays (pickles) are not allowed")
    count = math.prod(shape)
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=start)  # raises if data is short
    return arr.reshape(shape, order="F" if fortran else "C")
