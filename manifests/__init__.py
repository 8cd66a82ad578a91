"""Contracts of the project: manifest schemas and ids, the shard sample layout, the action vocabulary,
validation and inspection. Imports nothing of the project (only pyarrow, numpy, rich and the stdlib).

Modules: ``schemas`` (Arrow schemas, rows_to_table), ``ids`` (deterministic uuid5 ids), ``io`` (atomic
parquet read/write), ``validate`` (problems of a table), ``actions`` (81-class labels), ``layout``
(WebDataset sample members), ``inspect`` (rich text views used by ``wp manifest``), ``h264``
(libx264 options for deterministic bytes).
"""

from manifests.ids import clip_id, file_sha256, render_id, scene_id, shard_id, source_id
from manifests.io import read_manifest, write_manifest
from manifests.schemas import (
    ID_COLUMN,
    SCHEMA_VERSION,
    SCHEMAS,
    STATUSES,
    TABLES,
    detect_table,
    empty_table,
    rows_to_table,
    schema_for,
)
from manifests.validate import validate_path, validate_table

__all__ = [
    "ID_COLUMN",
    "SCHEMAS",
    "SCHEMA_VERSION",
    "STATUSES",
    "TABLES",
    "clip_id",
    "detect_table",
    "empty_table",
    "file_sha256",
    "read_manifest",
    "render_id",
    "rows_to_table",
    "scene_id",
    "schema_for",
    "shard_id",
    "source_id",
    "validate_path",
    "validate_table",
    "write_manifest",
]
