"""Rows through Ray Data: pack each dict row as one pickled cell, and normalise rows to plain python.

Ray Data infers an Arrow schema per block: list columns come back as numpy arrays or tensors, and a
column that is null in one block and a string in the next cannot be concatenated. Manifest rows are
small and heterogeneous, so the runtime ships each row opaquely as ``{"_key": id, "_row": pickle}``
and unpacks it on the driver; :func:`to_python` then turns any numpy values a stage produced into
plain python so pyarrow sees exactly what the stage meant.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import numpy as np
import pyarrow as pa

KEY, ROW = "_key", "_row"


def to_python(value: Any) -> Any:
    """Recursively convert numpy arrays/scalars, tuples and paths to plain python values."""
    if isinstance(value, dict):
        return {str(k): to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_python(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_python(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def pack(key: str, rows: list[dict]) -> list[dict]:
    """Rows produced for input ``key`` -> Ray Data records."""
    return [{KEY: key, ROW: pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL)} for r in rows]


def unpack(record: dict) -> tuple[str, dict]:
    """A Ray Data record -> (input key, plain-python row)."""
    payload = record[ROW]
    if isinstance(payload, np.ndarray):  # some Ray versions hand binary cells back as uint8 arrays
        payload = payload.tobytes()
    return str(record[KEY]), to_python(pickle.loads(payload))


def records_table(records: list[dict]) -> pa.Table:
    """Packed records -> the Arrow batch a ``map_batches`` UDF returns."""
    return pa.table(
        {
            KEY: pa.array([r[KEY] for r in records], pa.string()),
            ROW: pa.array([r[ROW] for r in records], pa.binary()),
        }
    )
