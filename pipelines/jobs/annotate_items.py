"""Items of ``wp annotate``: the ``ok`` clips and renders of earlier jobs, with what each stage needs.

An item carries only ``annotations`` columns (``item_id``, ``item_kind``, ``video_path``); the rest
(absolute video path, given poses, flags) lives in an :class:`ItemContext` the stages look up by id,
so a failed row never carries foreign keys into the manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from manifests.io import read_manifest
from manifests.schemas import detect_table
from pipelines.runtime.store import manifest_path

ANNOTATIONS_SUBDIR = "annotations"


@dataclass(frozen=True)
class ItemContext:
    """What the annotation stages need to know about one item beyond its manifest columns."""

    item_id: str
    kind: str  # "clip" | "render"
    video: str  # absolute path of the mp4
    fps: float | None = None
    given_pose: str | None = None  # absolute path of poses that came with the item (npz/json/folder)
    given_c2w: str | None = None  # renders: c2w [T, 4, 4] .npy
    given_K: str | None = None  # renders: K [T, 3, 3] or [3, 3] .npy
    flags: tuple[str, ...] = field(default_factory=tuple)  # e.g. "overlay:letterbox" for captions


def _abs(manifest: Path, rel: str | None) -> str | None:
    if not rel:
        return None
    p = Path(rel)
    return str(p if p.is_absolute() else (manifest.parent / p).resolve())


def _rel(path: str, out_dir: Path) -> str:
    """``path`` relative to ``<out>/manifests`` (how manifests store paths)."""
    return os.path.relpath(path, out_dir.resolve() / "manifests")


def _overlay_flags(kinds: list[str], boxes: list[list[float]]) -> tuple[str, ...]:
    """``overlay:<kind>:<position>`` per kept clip's overlay (letterbox bars, say) for the captioner."""
    from wpdata.captions.structured import overlay_position

    flags = []
    for i, kind in enumerate(kinds):
        box = boxes[i] if i < len(boxes) else None
        try:
            flags.append(f"overlay:{kind}:{overlay_position(box, 1, 1)}" if box else f"overlay:{kind}")
        except ValueError:  # a degenerate box: say what, not where
            flags.append(f"overlay:{kind}")
    return tuple(flags)


def _clip_contexts(manifest: Path) -> list[ItemContext]:
    rows = read_manifest(manifest).to_pylist()
    out = []
    for r in rows:
        if r["status"] != "ok" or not r.get("path"):
            continue
        flags = _overlay_flags(r.get("overlay_kinds") or [], r.get("overlay_boxes") or [])
        out.append(
            ItemContext(
                item_id=r["clip_id"],
                kind="clip",
                video=_abs(manifest, r["path"]),
                fps=r.get("fps"),
                given_pose=_abs(manifest, r.get("pose_path")),
                flags=flags,
            )
        )
    return out


def _render_contexts(manifest: Path) -> list[ItemContext]:
    rows = read_manifest(manifest).to_pylist()
    return [
        ItemContext(
            item_id=r["render_id"],
            kind="render",
            video=_abs(manifest, r["video_path"]),
            fps=r.get("fps"),
            given_c2w=_abs(manifest, r.get("c2w_path")),
            given_K=_abs(manifest, r.get("K_path")),
        )
        for r in rows
        if r["status"] == "ok" and r.get("video_path")
    ]


def _find(source: str | Path, table: str) -> Path | None:
    """A manifest given directly, or ``<dir>/manifests/<table>.parquet`` of a job folder."""
    p = Path(source)
    if p.suffix == ".parquet":
        return p if p.exists() else None
    m = manifest_path(p, table)
    return m if m.exists() else None


def annotation_items(
    sources: list[str | Path], out_dir: str | Path
) -> tuple[list[dict], dict[str, ItemContext]]:
    """Items and contexts from job folders or manifests (clips and/or renders) in ``sources``.

    Raises FileNotFoundError when a source has neither a clips nor a renders manifest.
    """
    out_dir = Path(out_dir)
    contexts: dict[str, ItemContext] = {}
    for src in sources:
        clips, renders = _find(src, "clips"), _find(src, "renders")
        if Path(src).suffix == ".parquet" and Path(src).exists():  # a manifest file: its table decides
            name = detect_table(read_manifest(Path(src)).schema, Path(src).name)
            if name not in ("clips", "renders"):
                raise ValueError(f"{src}: a {name} manifest; annotate reads clips or renders manifests")
            clips, renders = (Path(src), None) if name == "clips" else (None, Path(src))
        if clips is None and renders is None:
            raise FileNotFoundError(f"{src}: no clips or renders manifest (expected manifests/clips.parquet)")
        found = (_clip_contexts(clips) if clips else []) + (_render_contexts(renders) if renders else [])
        for ctx in found:
            contexts.setdefault(ctx.item_id, ctx)
    items = [
        {"item_id": c.item_id, "item_kind": c.kind, "video_path": _rel(c.video, out_dir)}
        for c in sorted(contexts.values(), key=lambda c: c.item_id)
    ]
    return items, contexts
