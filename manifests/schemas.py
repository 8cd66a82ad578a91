"""Versioned Arrow schemas of the eight manifest tables, and building tables from row dicts.

Every schema carries metadata ``{"wp.table": name, "wp.schema_version": SCHEMA_VERSION}`` and ends with
the shared columns ``status`` ("ok" | "dropped" | "failed"), ``drop_reasons`` (list<string>, empty when
none) and ``error`` (null when none). Id columns and ``status`` / ``drop_reasons`` are non-nullable;
results a stage may not have produced (scores, paths of outputs, metrics) are nullable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

SCHEMA_VERSION = "1"
STATUSES = ("ok", "dropped", "failed")

ID_COLUMN: dict[str, str] = {
    "sources": "source_id",
    "clips": "clip_id",
    "scenes": "scene_id",
    "renders": "render_id",
    "annotations": "item_id",
    "samples": "sample_key",
    "shards": "shard_id",
    "latents": "sample_key",
}

NUM_ACTION_CLASSES = 81  # length of annotations.action_histogram (see manifests.actions)


def _f(name: str, type_: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


def _req(name: str, type_: pa.DataType) -> pa.Field:
    return pa.field(name, type_, nullable=False)


_STR, _I32, _I64, _F64, _BOOL = pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_()


def list_of(value_type: pa.DataType) -> pa.DataType:
    """list<value_type> with the child named "element", as parquet stores it (so schemas round-trip)."""
    return pa.list_(pa.field("element", value_type))


_COMMON = [
    _req("status", _STR),
    _req("drop_reasons", list_of(_STR)),
    _f("error", _STR),
]

_FIELDS: dict[str, list[pa.Field]] = {
    "sources": [
        _req("source_id", _STR),
        _req("uri", _STR),
        _f("path", _STR),
        _f("kind", _STR),  # "video" | "image_sequence"
        _f("size_bytes", _I64),
        _f("duration_s", _F64),
        _f("fps", _F64),
        _f("num_frames", _I64),
        _f("width", _I32),
        _f("height", _I32),
        _f("codec", _STR),
        _f("rotation", _I32),
        _f("has_audio", _BOOL),
        _f("pose_path", _STR),
    ],
    "clips": [
        _req("clip_id", _STR),
        _req("source_id", _STR),
        _req("start_frame", _I64),
        _req("end_frame", _I64),  # exclusive
        _f("start_s", _F64),
        _f("end_s", _F64),
        _f("fps", _F64),
        _f("width", _I32),
        _f("height", _I32),
        _f("path", _STR),  # clip mp4, relative to the manifest's folder
        _f("meta_path", _STR),
        _f("pose_path", _STR),  # poses that came with the source (Sekai), sliced to the clip
        _f("pose_source", _STR),  # "sekai" | "vipe" | ... where pose_path came from
        _f("source_video_id", _STR),  # original video id parsed from a Sekai name {id}_{start}_{end}
        _f("source_start_frame", _I64),  # clip span in the original video's frames (Sekai names)
        _f("source_end_frame", _I64),  # exclusive
        _f("duration_s", _F64),  # (end_frame - start_frame) / fps
        # scores (wpdata.filters); decisions come from wpdata.filters.decide with a thresholds config
        _f("score_shake", _F64),  # high-frequency camera shake energy; higher = shakier
        _f("score_motion", _F64),  # camera motion per second (fraction of width + rotation); low = static
        _f("score_motion_reliable", _F64),  # fraction of frame pairs with a reliable global motion fit
        _f("score_overlay_area", _F64),  # fraction of the frame under static overlays
        _f("score_overlay_evidence", _F64),  # confidence of the strongest overlay region
        _f("score_crowd", _F64),  # mean people detected per analysed frame
        _f("score_crowd_max", _F64),  # most people detected in one analysed frame
        _f("score_sharpness", _F64),  # no-reference blur ratio in [0, 1]; low = blurred
        _f("score_brightness", _F64),  # mean luma 0-255
        _f("score_dark_fraction", _F64),  # fraction of pixels with luma <= 16
        _f("score_bright_fraction", _F64),  # fraction of pixels with luma >= 250
        _f("overlay_boxes", list_of(list_of(pa.float32()))),  # [K][4] x0, y0, x1, y1 normalised
        _f("overlay_kinds", list_of(_STR)),  # [K] "watermark" | "logo" | "hud" | "subtitles" | "letterbox"
        _f("overlay_evidences", list_of(pa.float32())),  # [K] confidence of each region (letterbox 1.0)
    ],
    "scenes": [
        _req("scene_id", _STR),
        _f("source_format", _STR),  # "dl3dv" | "nerfstudio" | "colmap" | "synthetic"
        _f("path", _STR),
        _f("width", _I32),
        _f("height", _I32),
        _f("factor", _I32),  # image downscale the scene was read at (DL3DV images_N)
        _f("num_images", _I32),
        _f("num_missing", _I32),  # frames the source lists whose image file is absent (skipped)
        _f("num_train", _I32),
        _f("num_test", _I32),
        _f("num_points", _I64),
        _f("num_gaussians", _I64),
        _f("iterations", _I32),
        _f("psnr_test", _F64),
        _f("ssim_test", _F64),
        _f("lpips_test", _F64),
        _f("train_seconds", _F64),
        _f("ply_path", _STR),
        _f("cameras_path", _STR),
    ],
    "renders": [
        _req("render_id", _STR),
        _req("scene_id", _STR),
        _f("trajectory_kind", _STR),
        _f("seed", _I64),
        _f("num_frames", _I64),
        _f("fps", _F64),
        _f("width", _I32),
        _f("height", _I32),
        _f("video_path", _STR),
        _f("c2w_path", _STR),
        _f("K_path", _STR),
        _f("revisit_fraction", _F64),
        _f("min_clearance", _F64),
        _f("hole_fraction_mean", _F64),
        _f("hole_fraction_max", _F64),
        _f("repaired_frames", _I64),
        _f("render_seconds", _F64),
        _f("trajectory_path", _STR),  # the user's TUM / KITTI file, for trajectory_kind "user"
        _f("plot_path", _STR),  # top-down PNG of the trajectory over the scene's points
    ],
    "annotations": [
        _req("item_id", _STR),
        _f("item_kind", _STR),  # "clip" | "render"
        _f("video_path", _STR),  # the item's mp4, relative to the manifest's folder
        _f("fps", _F64),
        _f("width", _I32),
        _f("height", _I32),
        _f("pose_source", _STR),  # "clip_npz" | "sekai" | "vipe" | "nerfstudio" | "render" | "colmap"
        _f("pose_path", _STR),  # npz: c2w [T, 4, 4] OpenCV, K [T, 3, 3], registered [T] (wpdata.poses)
        _f("K_path", _STR),  # the npz holding K (key "K")
        _f("num_frames", _I64),
        _f("num_latents", _I64),
        _f("registered_fraction", _F64),
        _f("reproj_error", _F64),
        _f("track_length", _F64),
        _f("pose_mapper", _STR),  # estimated: the SfM mapper that built the poses ("incremental" | "global")
        # estimated: median / high quantile of the angle between the model's and the two-view relative rotation
        # of consecutive sampled frames (deg; inf: a frame unregistered; wpdata.poses.auto_mapper)
        _f("rot_agreement_deg", _F64),
        _f("rot_agreement_high_deg", _F64),
        # estimated: median / high quantile of the angle between the track's moves and the two-view directions
        # of moving sampled pairs (deg; nan: no moving pair; wpdata.poses.motion_check)
        _f("dir_agreement_deg", _F64),
        _f("dir_agreement_high_deg", _F64),
        # estimated: walks after a turn on the spot whose scale the same-pace prior set (wpdata.poses.legs)
        _f("rescaled_legs", _I32),
        # estimated: pairs of neighbouring views where the model's rotation jumped against the two-view
        # rotations and the views after were turned back (wpdata.poses.rotation_jumps)
        _f("repaired_jumps", _I32),
        _f("pose_ate", _F64),  # estimated vs given poses: ATE after Sim(3) alignment / path length
        _f("scale", _F64),  # factor applied to the translations (see scale_rule)
        _f("scale_rule", _STR),
        _f("actions_path", _STR),  # npz: frame_labels [T], latent_labels [L], rel_latent [L, 4, 4]
        _f("action_histogram", list_of(_I32)),  # [81] counts per action label
        _f("caption", _STR),
        _f("captioner", _STR),
        _f("caption_embedding_path", _STR),
    ],
    "samples": [
        _req("sample_key", _STR),
        _req("item_id", _STR),
        _f("item_kind", _STR),
        _f("shard_id", _STR),
        _f("window_start", _I64),  # video frame index in the item
        _f("window_len", _I64),  # video frames
        _f("num_latents", _I64),
        _f("fps", _F64),
        _f("width", _I32),
        _f("height", _I32),
        _f("num_bytes", _I64),
    ],
    "shards": [
        _req("shard_id", _STR),
        _f("split", _STR),  # "train" | "val"
        _f("path", _STR),
        _f("num_samples", _I64),
        _f("num_bytes", _I64),
        _f("sha256", _STR),
        _f("index_path", _STR),
    ],
    # VAE latents pre-encoded per planned shard sample (pipelines.jobs.encode_latents): one
    # <sample_key>.safetensors each, which `wp shard` then puts into the sample as latent.safetensors
    "latents": [
        _req("sample_key", _STR),
        _req("item_id", _STR),
        _f("path", _STR),  # the .safetensors file, relative to the manifest's folder
        _f("window_start", _I64),  # video frame in the item
        _f("window_len", _I64),  # video frames of the sample (frames encoded: 4 (L - 1) + 1 of them)
        _f("windowed", _BOOL),  # False: the whole item
        _f("latent_shape", list_of(_I32)),  # [C, T_lat, h, w]
        _f("dtype", _STR),  # "float16" | "bfloat16" | "float32"
        _f("vae", _STR),  # the VAE's name (its folder name and class)
        _f("vae_hash", _STR),  # sha256 over the VAE folder's config and weights
        _f("has_caption_embedding", _BOOL),
        _f("sha256", _STR),  # of the .safetensors file
    ],
}

SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema(fields + _COMMON, metadata={"wp.table": name, "wp.schema_version": SCHEMA_VERSION})
    for name, fields in _FIELDS.items()
}

TABLES = tuple(SCHEMAS)


def schema_for(table: str) -> pa.Schema:
    """The Arrow schema of a manifest table."""
    try:
        return SCHEMAS[table]
    except KeyError:
        raise ValueError(f"unknown manifest table {table!r}; known: {', '.join(TABLES)}") from None


def empty_table(table: str) -> pa.Table:
    """A zero-row table with the table's schema."""
    return schema_for(table).empty_table()


def _plain(value: Any) -> Any:
    """Turn numpy values and paths into the python values pyarrow converts."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _column(table: str, field: pa.Field, values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        for i, v in enumerate(values):  # find the first offending row for the message
            try:
                pa.array([v], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                raise ValueError(
                    f"{table}.{field.name}: row {i} has bad value {v!r} for type {field.type}: {exc}"
                ) from exc
        raise ValueError(f"{table}.{field.name}: cannot build column of type {field.type}: {exc}") from exc


def rows_to_table(table: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Build a manifest table from row dicts: missing nullable columns become null, values are cast.

    ``drop_reasons`` defaults to ``[]``. Raises ValueError naming the column for an unknown column, a
    missing required value or a value of the wrong type.
    """
    schema = schema_for(table)
    names = set(schema.names)
    for i, row in enumerate(rows):
        extra = sorted(set(row) - names)
        if extra:
            raise ValueError(f"{table}: row {i} has unknown column(s) {extra}; schema has {schema.names}")
    columns = []
    for field in schema:
        values = [_plain(row.get(field.name)) for row in rows]
        if field.name == "drop_reasons":
            values = [[] if v is None else v for v in values]
        if not field.nullable:
            missing = [i for i, v in enumerate(values) if v is None]
            if missing:
                raise ValueError(
                    f"{table}.{field.name}: required column is missing or null in row {missing[0]}"
                )
        if field.name == "status":
            bad = [(i, v) for i, v in enumerate(values) if v not in STATUSES]
            if bad:
                raise ValueError(
                    f"{table}.status: row {bad[0][0]} has {bad[0][1]!r}; expected one of {STATUSES}"
                )
        columns.append(_column(table, field, values))
    return pa.Table.from_arrays(columns, schema=schema)


def detect_table(schema: pa.Schema, name_hint: str | None = None) -> str | None:
    """Which manifest table a schema holds: its ``wp.table`` metadata, else its id column, else a hint.

    ``name_hint`` is a file or folder name such as ``clips.parquet`` or ``clips``; None when unknown.
    """
    meta = schema.metadata or {}
    name = meta.get(b"wp.table", b"").decode()
    if name in SCHEMAS:
        return name
    # id columns also appear as foreign keys (clips.source_id): of the tables whose id column is present,
    # take the one sharing the most column names.
    present = set(schema.names)
    candidates = [t for t, id_col in ID_COLUMN.items() if id_col in present]
    if candidates:
        return max(candidates, key=lambda t: len(present & set(SCHEMAS[t].names)))
    if name_hint:
        stem = os.path.basename(os.path.normpath(name_hint)).split(".")[0]
        if stem in SCHEMAS:
            return stem
    return None
