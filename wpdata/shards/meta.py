"""The json member of a sample from its joined item row (annotation + clip / render row).

Keys (``manifests.layout.JSON_REQUIRED_KEYS``): ``item_id``, ``caption``, ``fps``, ``width``,
``height``, ``num_frames``, ``num_latents`` (set by ``build_sample`` from the window), ``source`` (where
the item came from), ``scores`` (the clip's ``score_*`` columns; a render's revisit / hole / clearance
statistics), ``provenance`` (window, poses, captioner, scale, key). Missing values are null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CLIP_SOURCE_KEYS = (
    "clip_id",
    "source_id",
    "source_video_id",
    "start_frame",
    "end_frame",
    "source_start_frame",
    "source_end_frame",
    "start_s",
    "end_s",
)
RENDER_SOURCE_KEYS = ("render_id", "scene_id", "trajectory_kind", "seed", "repaired_frames")
RENDER_SCORE_KEYS = ("revisit_fraction", "min_clearance", "hole_fraction_mean", "hole_fraction_max")
PROVENANCE_KEYS = (
    "pose_source",
    "registered_fraction",
    "reproj_error",
    "pose_ate",
    "scale",
    "scale_rule",
    "captioner",
    "overlay_kinds",
)


def _kind(row: Mapping[str, Any]) -> str:
    kind = row.get("item_kind")
    if kind:
        return str(kind)
    return "render" if row.get("render_id") else "clip"


def sample_meta(
    row: Mapping[str, Any],
    sample_key: str,
    window_start: int = 0,
    window_len: int | None = None,
    windowed: bool = False,
) -> dict[str, Any]:
    """The json dict of one sample of the item ``row`` (see the module docstring)."""
    kind = _kind(row)
    source_keys = RENDER_SOURCE_KEYS if kind == "render" else CLIP_SOURCE_KEYS
    if kind == "render":
        scores = {k: row.get(k) for k in RENDER_SCORE_KEYS}
    else:
        scores = {k: v for k, v in row.items() if k.startswith("score_")}
    return {
        "item_id": str(row["item_id"]),
        "caption": row.get("caption"),
        "fps": row.get("fps"),
        "width": row.get("width"),
        "height": row.get("height"),
        "num_frames": window_len,
        "num_latents": None,
        "source": {"kind": kind, **{k: row.get(k) for k in source_keys}},
        "scores": dict(sorted(scores.items())),
        "provenance": {
            "sample_key": sample_key,
            "windowed": bool(windowed),
            "window_start": int(window_start),
            "window_len": window_len,
            "item_num_frames": row.get("num_frames"),
            "action_latent0": "clip label of the window's first latent" if windowed else "clip latent 0",
            **{k: row.get(k) for k in PROVENANCE_KEYS},
        },
    }
