"""Job ``probe_sources``: find videos and image-sequence folders, probe each, write the ``sources`` manifest.

Discovery runs on the driver (a sorted walk, so ids and rows are deterministic); probing runs in
:class:`ProbeStage` on Ray workers via ``wpdata.video``. A file that is not a video becomes a
``failed`` row carrying the ``VideoError`` message; a video below the config's ``min_frames`` /
``min_side`` is ``dropped`` with reasons ``too_short`` / ``too_small``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from manifests.ids import source_id
from pipelines.runtime import JobSummary, Stage, run_job

JOB_NAME = "probe_sources"
TABLE = "sources"
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".ts")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
HASH_CHUNK = 1 << 20  # bytes hashed at each end of a file


@dataclass
class ProbeConfig:
    """Thresholds and defaults of the probe job."""

    image_fps: float = 30.0  # frame rate given to image-sequence folders
    min_frames: int = 16  # fewer frames -> dropped "too_short" (16 video frames = one chunk)
    min_side: int = 64  # smaller width or height -> dropped "too_small"

    def __post_init__(self) -> None:
        if not self.image_fps > 0:
            raise ValueError(f"image_fps must be > 0, got {self.image_fps}")
        if self.min_frames < 1 or self.min_side < 1:
            raise ValueError(f"min_frames and min_side must be >= 1, got {self.min_frames}, {self.min_side}")


def content_hash(path: Path) -> str:
    """Cheap content hash of a file: its size and the sha256 of its first and last MiB."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(HASH_CHUNK))
        if size > HASH_CHUNK:
            f.seek(max(HASH_CHUNK, size - HASH_CHUNK))
            h.update(f.read(HASH_CHUNK))
    return f"{size}:{h.hexdigest()[:32]}"


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def sequence_hash(frames: Sequence[Path]) -> str:
    """Cheap content hash of an image sequence: frame names and sizes, and the first frame's first MiB."""
    h = hashlib.sha256()
    for f in frames:
        h.update(f"{f.name}:{f.stat().st_size}\n".encode())
    with open(frames[0], "rb") as fh:
        h.update(fh.read(HASH_CHUNK))
    return f"{len(frames)}f:{h.hexdigest()[:32]}"


def find_pose_file(media: Path) -> Path | None:
    """A pose file beside a clip: ``<stem>.npz`` (Sekai style) or ``pose/<stem>.npz`` (ViPE layout)."""
    stem = media.stem if media.is_file() else media.name
    for cand in (
        media.parent / f"{stem}.npz",
        media.parent / "pose" / f"{stem}.npz",
        media.parent.parent / "pose" / f"{stem}.npz",
    ):
        if cand.is_file():
            return cand
    return None


def _walk(root: Path) -> Iterable[tuple[str, Path]]:
    """(kind, path) under ``root`` in sorted order; hidden files and folders are skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        d = Path(dirpath)
        if len([f for f in filenames if Path(f).suffix.lower() in IMAGE_EXTENSIONS]) >= 2:
            yield "image_sequence", d
        for f in sorted(filenames):
            if not f.startswith(".") and Path(f).suffix.lower() in VIDEO_EXTENSIONS:
                yield "video", d / f


def discover_sources(inputs: Sequence[str | Path]) -> list[dict]:
    """Items of the probe job (``sources`` rows before probing), sorted by path, one per source.

    A folder is walked recursively for videos and image-sequence folders (>= 2 PNG/JPEG frames); a
    file named explicitly is taken as a video whatever its extension (probing says if it is not).
    """
    if not inputs:
        raise ValueError("no inputs given: pass video files or folders")
    found: dict[Path, str] = {}
    for raw in inputs:
        p = Path(raw).expanduser().resolve()
        if not p.exists():
            raise FileNotFoundError(f"input does not exist: {raw}")
        entries = _walk(p) if p.is_dir() else [("video", p)]
        for kind, path in entries:
            found.setdefault(path, kind)
    items = []
    for path in sorted(found):
        kind = found[path]
        if kind == "video":
            size, chash = path.stat().st_size, content_hash(path)
        else:
            frames = _images_in(path)
            size, chash = sum(f.stat().st_size for f in frames), sequence_hash(frames)
        uri = path.as_uri()
        pose = find_pose_file(path)
        items.append(
            {
                "source_id": source_id(uri, chash),
                "uri": uri,
                "path": str(path),
                "kind": kind,
                "size_bytes": size,
                "pose_path": str(pose) if pose else None,
            }
        )
    return items


class ProbeStage(Stage):
    """Probe one source with ``wpdata.video`` and fill its ``sources`` row."""

    name = "probe"
    num_cpus = 1

    def __init__(self, config: ProbeConfig | None = None) -> None:
        self.config = config or ProbeConfig()

    def process(self, item: dict) -> dict:
        from wpdata.video import probe, probe_image_sequence

        if item["kind"] == "image_sequence":
            info = probe_image_sequence(item["path"], fps=self.config.image_fps)
        else:
            info = probe(item["path"])
        reasons = []
        if info.num_frames < self.config.min_frames:
            reasons.append("too_short")
        if min(info.width, info.height) < self.config.min_side:
            reasons.append("too_small")
        return {
            **item,
            "duration_s": float(info.duration_s),
            "fps": float(info.fps),
            "num_frames": int(info.num_frames),
            "width": int(info.width),
            "height": int(info.height),
            "codec": info.codec,
            "rotation": int(info.rotation),
            "has_audio": bool(info.has_audio),
            "status": "dropped" if reasons else "ok",
            "drop_reasons": reasons,
        }


def probe_sources(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    config: ProbeConfig | None = None,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    progress: bool = True,
) -> JobSummary:
    """Discover sources under ``inputs`` and write ``<out>/manifests/sources.parquet``."""
    config = config or ProbeConfig()
    items = discover_sources(inputs)
    job_config = {**asdict(config), "inputs": [str(Path(i).resolve()) for i in inputs], "workers": workers}
    return run_job(
        JOB_NAME,
        TABLE,
        items,
        [ProbeStage(config)],
        out_dir,
        address=address,
        resume=resume,
        config=job_config,
        progress=progress,
        concurrency=workers,
    )
