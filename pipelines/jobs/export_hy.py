"""``wp export hy-worldplay``: annotated items -> the HY-WorldPlay release's pose/action JSON + list.

Per ``ok`` annotations row: ``<out>/<item_id>_pose.json`` ({frame: {intrinsic, w2c}}) and
``<item_id>_action.json`` ({frame: {move_action, view_action}}) via ``wpdata.export.hy_worldplay``
(``view_combos="yaw"`` keeps only the yaw key of a combined rotation, as the release's own
preprocessing does: its trainer matches view_action exactly against LR/LL/LU/LD), and one
``<out>/dataset.json`` listing ``{latent_path, pose_path, action_path}`` as the release's loader reads
it. ``latent_path`` is filled where latents exist (``latent_paths``: item_id -> file), else null.
``latent_paths_of`` finds them in a shard output folder's ``latents`` manifest (``wp shard --vae``):
``ok`` rows of whole-item samples only (a window's latents do not match the item's pose JSON).
The files are ``.safetensors`` (``latent`` [T_lat, C, h, w] with metadata ``layout: TCHW``, or
[C, T_lat, h, w] without it, ``caption_embedding`` [D]), not the
release's own latent format. A plain loop, not a Ray job: it only reads small npz files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from manifests.io import read_manifest
from pipelines.runtime.store import manifest_path


@dataclass
class ExportResult:
    """What one export wrote."""

    list_path: Path
    exported: int = 0
    with_latents: int = 0  # exported items whose entry has a latent_path
    skipped: dict[str, str] = field(default_factory=dict)  # item_id -> why (status, missing file)


def _annotations(source: str | Path) -> Path:
    p = Path(source)
    m = p if p.suffix == ".parquet" else manifest_path(p, "annotations")
    if not m.exists():
        raise FileNotFoundError(f"{source}: no annotations manifest (expected {m})")
    return m


def latent_paths_of(shards_root: str | Path) -> dict[str, str]:
    """item_id -> absolute latent file of each ``ok`` whole-item row of ``<shards_root>``'s ``latents``
    manifest (empty when it has none)."""
    m = manifest_path(shards_root, "latents")
    if not m.exists():
        return {}
    out = {}
    for r in read_manifest(m).to_pylist():
        if r["status"] == "ok" and not r["windowed"] and r["path"]:
            f = (m.parent / r["path"]).resolve()
            if f.is_file():
                out[str(r["item_id"])] = str(f)
    return out


def export_hy_worldplay(
    source: str | Path,
    out_dir: str | Path,
    latent_paths: dict[str, str] | None = None,
    view_combos: str = "keep",
) -> ExportResult:
    """Export every ``ok`` annotated item of ``source`` (a job folder or annotations manifest)."""
    from wpdata.actions import load_actions
    from wpdata.export import write_hy_dataset_list, write_hy_worldplay
    from wpdata.poses import load_track

    manifest = _annotations(source)
    out_dir = Path(out_dir)
    result = ExportResult(out_dir / "dataset.json")
    entries = []
    for row in read_manifest(manifest).to_pylist():
        item = row["item_id"]
        if row["status"] != "ok":
            result.skipped[item] = f"status {row['status']}"
            continue
        try:
            track = load_track(manifest.parent / row["pose_path"])
            actions = load_actions(manifest.parent / row["actions_path"])
        except (OSError, ValueError, KeyError) as exc:
            result.skipped[item] = f"{type(exc).__name__}: {exc}"
            continue
        latent = (latent_paths or {}).get(item)
        paths = write_hy_worldplay(
            out_dir,
            item,
            track.c2w,
            track.K,
            actions["latent_labels"],
            latent,
            frame_labels=actions["frame_labels"],
            view_combos=view_combos,
        )
        entries.append(paths)
        result.exported += 1
        result.with_latents += latent is not None
    write_hy_dataset_list(result.list_path, entries)
    return result
