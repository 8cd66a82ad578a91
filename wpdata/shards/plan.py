"""The sample plan of a shard job: which samples exist, their keys and split, and which shard holds each.

Input: one joined row per item (an ``annotations`` row merged with its ``clips`` / ``renders`` row; the
plan reads ``item_id``, ``item_kind``, ``num_frames``, ``fps``, ``width``, ``height`` and
``video_bytes``, the size of the item's mp4, for the byte estimate). Everything is a pure function of
those rows and :class:`PlanConfig`, so the same rows always give the same plan.

- Samples: one per item, or, with ``window_latents = N``, one per window of N latent frames
  (``4 * (N - 1) + 1`` video frames) starting every ``stride_latents`` latents (default N: windows do
  not share latents). Window starts are multiples of 4, so window latents are clip latents. An item
  shorter than one window gives one ``dropped`` sample (reason ``shorter_than_window``).
- Keys: ``manifests.layout.safe_key(item_id)``, plus ``_w{start_frame:06d}`` for windows. Two items
  whose ids sanitise to the same key: the later id (sorted) gets a ``failed`` sample naming the other.
- Split: ``val`` when a stable hash (sha256 of ``salt:item_id``) falls below ``val_fraction``; every
  window of an item lands in the same split.
- Shards: samples are grouped by (split, width x height, window length; ``full`` for whole items), then
  filled in key order until ``max_samples`` or ``max_bytes`` (estimated) would be exceeded; a group's
  shards are ``manifests.ids.shard_id(f"{split}-{W}x{H}-{f<len>|full}", i)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from manifests.ids import shard_id
from manifests.layout import FRAMES_PER_LATENT, num_latents, safe_key

SHORTER_THAN_WINDOW = "shorter_than_window"
SPLITS = ("train", "val")
# bytes of a sample's members besides the mp4: tar headers, json, and per-frame arrays (see estimate)
_FIXED_BYTES = 4096
_PER_FRAME_BYTES = 64 + 36  # c2w.npy [4, 4] float32 + K.npy [3, 3] float32 per frame


@dataclass
class PlanConfig:
    """How items become samples and samples become shards."""

    window_latents: int | None = None  # None: one sample per item (the whole clip)
    stride_latents: int | None = None  # None: = window_latents
    val_fraction: float = 0.0
    salt: str = "wp-split-v1"  # changes every item's split when changed
    max_samples: int = 1000  # per shard
    max_bytes: int = 1 << 30  # per shard (estimated from the clips' sizes)

    def __post_init__(self) -> None:
        if self.window_latents is not None and int(self.window_latents) < 1:
            raise ValueError(f"window_latents must be >= 1 or null, got {self.window_latents}")
        if self.stride_latents is not None and int(self.stride_latents) < 1:
            raise ValueError(f"stride_latents must be >= 1 or null, got {self.stride_latents}")
        if not 0.0 <= float(self.val_fraction) <= 1.0:
            raise ValueError(f"val_fraction must be in [0, 1], got {self.val_fraction}")
        if int(self.max_samples) < 1 or int(self.max_bytes) < 1:
            raise ValueError(
                f"max_samples and max_bytes must be >= 1, got {self.max_samples}, {self.max_bytes}"
            )

    @property
    def window_frames(self) -> int | None:
        """Video frames of one window, ``4 * (N - 1) + 1``; None without windows."""
        if self.window_latents is None:
            return None
        return FRAMES_PER_LATENT * (int(self.window_latents) - 1) + 1


@dataclass(frozen=True)
class PlannedSample:
    """One planned sample (or the dropped/failed row standing for an item that gives none)."""

    sample_key: str
    item_id: str
    item_kind: str | None
    split: str
    window_start: int  # video frame in the item
    window_len: int  # video frames (the whole item when not windowed)
    windowed: bool
    fps: float | None
    width: int | None
    height: int | None
    est_bytes: int
    status: str = "ok"
    drop_reasons: tuple[str, ...] = ()
    error: str | None = None
    shard_id: str | None = None

    @property
    def num_latents(self) -> int:
        return num_latents(self.window_len) if self.window_len >= 1 else 0

    @property
    def group(self) -> str:
        """Shard-group prefix: ``{split}-{W}x{H}-{f<window_len>|full}``."""
        length = f"f{self.window_len}" if self.windowed else "full"
        return f"{self.split}-{self.width}x{self.height}-{length}"

    def manifest_row(self, **overrides: Any) -> dict[str, Any]:
        """The ``samples`` manifest row (``overrides`` e.g. num_bytes, status, error)."""
        row = {
            "sample_key": self.sample_key,
            "item_id": self.item_id,
            "item_kind": self.item_kind,
            "shard_id": self.shard_id,
            "window_start": self.window_start,
            "window_len": self.window_len if self.window_len >= 1 else None,
            "num_latents": self.num_latents or None,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "num_bytes": None,
            "status": self.status,
            "drop_reasons": list(self.drop_reasons),
            "error": self.error,
        }
        row.update(overrides)
        return row


@dataclass(frozen=True)
class PlannedShard:
    """One shard: its id, split, group and samples in key order."""

    shard_id: str
    split: str
    group: str
    samples: tuple[PlannedSample, ...]
    est_bytes: int


@dataclass
class ShardPlan:
    """Every planned sample (sorted by key, incl. dropped / failed ones) and the shards of the ok ones."""

    samples: list[PlannedSample] = field(default_factory=list)
    shards: list[PlannedShard] = field(default_factory=list)


def split_of(item_id: str, val_fraction: float, salt: str = "wp-split-v1") -> str:
    """``"val"`` for a stable fraction ``val_fraction`` of item ids, else ``"train"``."""
    h = int.from_bytes(hashlib.sha256(f"{salt}:{item_id}".encode()).digest()[:8], "big")
    return "val" if h / 2.0**64 < float(val_fraction) else "train"


def window_starts(num_frames: int, window_latents: int, stride_latents: int | None = None) -> list[int]:
    """First video frame of each window of ``window_latents`` latents that fits in ``num_frames``."""
    length = FRAMES_PER_LATENT * (int(window_latents) - 1) + 1
    step = FRAMES_PER_LATENT * int(stride_latents or window_latents)
    return list(range(0, int(num_frames) - length + 1, step))


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _item_samples(row: Mapping[str, Any], cfg: PlanConfig) -> list[PlannedSample]:
    item_id = str(row["item_id"])
    T = row.get("num_frames")
    base = {
        "item_id": item_id,
        "item_kind": row.get("item_kind"),
        "split": split_of(item_id, cfg.val_fraction, cfg.salt),
        "fps": None if row.get("fps") is None else float(row["fps"]),
        "width": _opt_int(row.get("width")),
        "height": _opt_int(row.get("height")),
    }
    key = safe_key(item_id)
    win = cfg.window_frames
    if T is None or int(T) < 1:
        bad = PlannedSample(key, window_start=0, window_len=0, windowed=win is not None, est_bytes=0, **base)
        return [replace(bad, status="failed", error=f"item {item_id}: annotation has no num_frames")]
    T = int(T)
    video_bytes = int(row.get("video_bytes") or 0)

    def est(length: int) -> int:
        return _FIXED_BYTES + _PER_FRAME_BYTES * length + (video_bytes * length) // T

    if win is None:
        return [PlannedSample(key, window_start=0, window_len=T, windowed=False, est_bytes=est(T), **base)]
    starts = window_starts(T, int(cfg.window_latents), cfg.stride_latents)
    if not starts:
        return [
            PlannedSample(
                f"{key}_w{0:06d}",
                window_start=0,
                window_len=win,
                windowed=True,
                est_bytes=0,
                status="dropped",
                drop_reasons=(SHORTER_THAN_WINDOW,),
                **base,
            )
        ]
    return [
        PlannedSample(
            f"{key}_w{s:06d}", window_start=s, window_len=win, windowed=True, est_bytes=est(win), **base
        )
        for s in starts
    ]


def plan_samples(rows: Iterable[Mapping[str, Any]], cfg: PlanConfig) -> list[PlannedSample]:
    """All samples of ``rows`` sorted by key; key collisions between items become ``failed`` samples."""
    rows = sorted(rows, key=lambda r: str(r["item_id"]))
    ids = [str(r["item_id"]) for r in rows]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"duplicate item_id(s) in the shard plan's rows: {dup[:5]}")
    owner: dict[str, str] = {}
    out: list[PlannedSample] = []
    for row in rows:
        for s in _item_samples(row, cfg):
            if s.sample_key in owner:
                msg = f"sample key {s.sample_key!r} of item {s.item_id!r} collides with item {owner[s.sample_key]!r}"
                tag = hashlib.sha1(s.item_id.encode()).hexdigest()[:8]
                s = replace(s, sample_key=f"{s.sample_key}_dup{tag}", status="failed", error=msg)
            owner.setdefault(s.sample_key, s.item_id)
            out.append(s)
    return sorted(out, key=lambda s: s.sample_key)


def _fill(members: list[PlannedSample], cfg: PlanConfig) -> list[list[PlannedSample]]:
    """Consecutive runs of ``members`` (key order) under the count and byte caps."""
    runs: list[list[PlannedSample]] = []
    size = 0
    for s in members:
        if runs and len(runs[-1]) < cfg.max_samples and size + s.est_bytes <= cfg.max_bytes:
            runs[-1].append(s)
            size += s.est_bytes
        else:
            runs.append([s])
            size = s.est_bytes
    return runs


def assign_shards(samples: list[PlannedSample], cfg: PlanConfig) -> ShardPlan:
    """Fill shards per group in key order under the count and byte caps; returns the full plan."""
    groups: dict[str, list[PlannedSample]] = {}
    for s in sorted(samples, key=lambda s: s.sample_key):
        if s.status == "ok":
            groups.setdefault(s.group, []).append(s)
    assigned: dict[str, PlannedSample] = {}
    shards: list[PlannedShard] = []
    for group in sorted(groups):
        for i, run in enumerate(_fill(groups[group], cfg)):
            sid = shard_id(group, i)
            members = tuple(replace(s, shard_id=sid) for s in run)
            assigned.update({s.sample_key: s for s in members})
            est = sum(s.est_bytes for s in members)
            shards.append(PlannedShard(sid, members[0].split, group, members, est))
    final = [assigned.get(s.sample_key, s) for s in sorted(samples, key=lambda s: s.sample_key)]
    return ShardPlan(samples=final, shards=shards)


def make_plan(rows: Iterable[Mapping[str, Any]], cfg: PlanConfig | None = None) -> ShardPlan:
    """The deterministic sample and shard plan of joined item rows (see the module docstring)."""
    cfg = cfg or PlanConfig()
    return assign_shards(plan_samples(rows, cfg), cfg)
