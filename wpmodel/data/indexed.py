"""The samples of a shard with a sidecar index (``wpmodel.data.shard_index``), windowed for the whole
shard at once.

``indexed_samples`` walks the shard's samples in order, as the per-sample reader would: a sample the
index marks usable gets its window (``pick_window``, same (seed, epoch, key) generator) or is counted
``shorter_than_window``; any other sample goes through the per-sample path (``decode_sample`` on the
member views of the mapped tar), so skip reasons and counts are that path's. The usable samples'
windows are then cut for the whole shard with vectorised numpy (``ShardWindows``: poses gathered and
re-centred with batched inverses and matmuls, intrinsics, actions with latent 0 set to 0, caption
embeddings), and the shard's samples are yielded in order: a light ``Ref`` (windows, row) for each
usable one, the TrainSample for the others. ``wpmodel.data.indexed_batch`` turns them into batches.

The re-centred poses of a shard's windows are kept on its index (one set, the last windows cut): an
epoch that cuts the same windows again (windows fixed at the sample's start: shards written as fixed
windows, ``random_window=False``, or windows as long as the samples) slices them instead of re-centring
again, which was 2 of the 3.5 ms a 512-sample epoch of small latents spent besides reading its bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from manifests.layout import MEMBERS
from manifests.safetensors_format import DTYPES
from wpmodel.data.latent_slab import LatentSlab
from wpmodel.data.sample import _ALIASES, SampleConfig, TrainSample, decode_sample
from wpmodel.data.shard_index import ShardIndex
from wpmodel.data.stats import SkipCounter
from wpmodel.data.tar_reader import _map
from wpmodel.data.window import CHUNK_LATENTS, WindowError, pick_window, recenter, window_frames, window_rng


@dataclass(eq=False)
class ShardWindows:
    """The windows of one shard's usable samples (rows ``j`` in shard order) for one epoch."""

    index: ShardIndex
    rows: np.ndarray  # [M] sample of the shard
    starts: np.ndarray  # [M] window start latent
    cfg: SampleConfig
    # set when every window has the same shapes (else batches go through ``ref_sample`` + collate):
    signature: tuple | None = None  # (L, C, h, w, D, latent dtype)
    frames: np.ndarray | None = None  # [M, n] int64, each window's rows of the index's c2w and K
    actions: np.ndarray | None = None  # [M, L] int64, latent 0 set to 0
    caption: np.ndarray | None = None  # [M, D] float32 (zeros where has_caption is False)
    has_caption: np.ndarray | None = None  # [M] bool
    at: np.ndarray | None = None  # [M] int64, byte offset of each window's first latent frame in the tar
    # bytes between consecutive rows' latent windows, when all rows are consecutive samples at an equal
    # stride (then a run of rows is read in one go); None otherwise
    stride: int | None = None
    _poses: tuple[np.ndarray, np.ndarray] | None = None  # every window's (c2w, K), cut on first use

    def poses(self, j0: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """c2w [count, n, 4, 4] re-centred on each window's first frame and K [count, n, 3, 3] (float32)
        of rows ``j0 ..`` (new arrays). The shard's windows are re-centred together on the first call and
        kept on the index (``ShardIndex.poses_kept``) for the epochs that cut the same windows again."""
        c2w, K = self.pose_views(j0, count)
        return c2w.copy(), K.copy()

    def pose_views(self, j0: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``poses`` as read-only views of the kept arrays (copy them before handing them out)."""
        if self._poses is None:
            self._poses = self._all_poses()
        c2w, K = self._poses
        return c2w[j0 : j0 + count], K[j0 : j0 + count]

    def _all_poses(self) -> tuple[np.ndarray, np.ndarray]:
        """(c2w [M, n, 4, 4], K [M, n, 3, 3]) of every window: those kept on the index when its last
        windows were these (same rows, starts and length), else computed and kept there."""
        key = (self.rows.tobytes(), self.starts.tobytes(), self.frames.shape[1])
        kept = self.index.poses_kept
        if kept is not None and kept[0] == key:
            return kept[1]
        c2w, K = self.index.a["c2w"], self.index.a["K"]
        out = (recenter(c2w[self.frames]), K[self.frames])  # [M, n, 4, 4], [M, n, 3, 3]
        for x in out:
            x.flags.writeable = False  # shared by every epoch that cuts these windows
        self.index.poses_kept = (key, out)
        return out

    def __post_init__(self) -> None:
        idx, rows, cfg = self.index, self.rows, self.cfg
        a = idx.a
        if len(rows) == 0:
            return
        shape = a["latent_shape"][rows]  # [M, 4]
        Ls = np.full(len(rows), cfg.window_latents) if cfg.window_latents else shape[:, 1]
        has = idx.has_caption[rows]
        D = a["caption"].shape[1] if has.any() else cfg.caption_dim
        if (
            (Ls != Ls[0]).any()
            or (shape[:, [0, 2, 3]] != shape[0, [0, 2, 3]]).any()
            or (not has.all() and D != cfg.caption_dim)
        ):
            return
        L = int(Ls[0])
        n, C, h, w = window_frames(L), *(int(x) for x in shape[0, [0, 2, 3]])
        self.frames = (idx.frame_start[rows] + 4 * self.starts)[:, None] + np.arange(n)  # [M, n]
        self.actions = a["action"][(idx.latent_start[rows] + self.starts)[:, None] + np.arange(L)].astype(
            np.int64
        )
        self.actions[:, 0] = 0
        whole = len(rows) == len(idx) and rows[0] == 0 and (np.diff(rows) == 1).all()  # all, in order
        if has.all():  # batches copy their rows out, so the index's own rows may be used as they are
            self.caption = (a["caption"] if whole else a["caption"][rows]).astype(np.float32, copy=False)
        elif has.any():
            self.caption = np.where(has[:, None], a["caption"][rows], 0).astype(np.float32)
        else:
            self.caption = np.zeros((len(rows), D), np.float32)
        self.has_caption = has
        self.signature = (L, C, h, w, D, idx.latent_dtype)
        plane = h * w * np.dtype(DTYPES[idx.latent_dtype]).itemsize  # bytes of one [h, w] slice
        at = a["latent_offset"][rows] + self.starts * (C * plane if idx.time_major else plane)  # [M]
        self.at = at
        if len(rows) > 1 and (np.diff(rows) == 1).all() and (np.diff(at) == at[1] - at[0]).all():
            self.stride = int(at[1] - at[0])


Ref = tuple[ShardWindows, int]  # (the shard's windows, row j)


def _raw(index: ShardIndex, i: int, view: memoryview, skip: frozenset[str]) -> dict[str, Any]:
    """Sample ``i`` as ``tar_reader.iter_samples`` gives it (member views of the mapped tar)."""
    raw: dict[str, Any] = {"__key__": index.keys[i], "__url__": index.url, "__offsets__": {}}
    offsets, sizes = index.a["member_offset"][i].tolist(), index.a["member_size"][i].tolist()
    for suffix, at, n in zip(index.suffixes, offsets, sizes, strict=True):
        if n >= 0 and suffix not in skip:
            raw[suffix] = view[at : at + n]
            raw["__offsets__"][suffix] = at
    return raw


def indexed_samples(
    index: ShardIndex,
    cfg: SampleConfig,
    counter: SkipCounter,
    epoch: int = 0,
    skip: tuple[str, ...] = ("mp4",),
) -> Iterator[TrainSample | Ref]:
    """The shard's samples in order: a Ref for each usable one, else the per-sample path's result."""
    ok, totals, keys = index.ok.tolist(), index.a["num_latents"].tolist(), index.keys
    sizes, skip_set = index.a["member_size"], frozenset(skip)
    for j, suffix in enumerate(index.suffixes):  # what the per-sample path counts for these samples
        name = _ALIASES.get(suffix, suffix)
        n = 0 if suffix in skip_set or name in MEMBERS else int(((sizes[:, j] >= 0) & index.ok).sum())
        if n:
            counter.unknown_members[name] += n
    tot = index.a["num_latents"]  # [N]
    L_all = np.full(len(tot), cfg.window_latents) if cfg.window_latents else tot  # [N]
    if index.ok.all() and (L_all >= 1).all() and (tot >= L_all).all():
        if not (cfg.random_window and (tot - L_all >= CHUNK_LATENTS).any()):  # every window starts at 0
            N = len(ok)
            counter.samples_read += N
            counter.samples_ok += N
            windows = ShardWindows(index, np.arange(N, dtype=np.int64), np.zeros(N, np.int64), cfg)
            yield from ((windows, j) for j in range(N))
            return
    view, order, rows, starts = None, [], [], []
    for i, good in enumerate(ok):
        if not good:
            view = _map(index.url) if view is None else view
            order.append(decode_sample(_raw(index, i, view, skip_set), cfg, counter, epoch))
            continue
        counter.samples_read += 1
        total = totals[i]
        L = cfg.window_latents or total
        try:
            if cfg.random_window and total - L >= CHUNK_LATENTS:
                s = pick_window(total, L, window_rng(cfg.seed, epoch, keys[i]))
            else:  # one start (or none): pick_window's answer without building the list of starts
                s = 0 if total >= L >= 1 else pick_window(total, L, None)
        except WindowError as exc:
            counter.skip("shorter_than_window", f"sample {keys[i]!r} in {index.url}: {exc}")
            continue
        counter.samples_ok += 1
        order.append(len(rows))
        rows.append(i)
        starts.append(s)
    windows = ShardWindows(index, np.array(rows, np.int64), np.array(starts, np.int64), cfg)
    for x in order:
        if type(x) is int:
            yield (windows, x)
        elif x is not None:
            yield x


def ref_sample(ref: Ref) -> TrainSample:
    """The TrainSample ``parse_sample`` gives for the indexed sample ``ref``."""
    win, j = ref
    index, cfg, a = win.index, win.cfg, win.index.a
    i, s = int(win.rows[j]), int(win.starts[j])
    L = cfg.window_latents or int(a["num_latents"][i])
    f, n = int(index.frame_start[i]) + 4 * s, window_frames(L)
    acts = a["action"][int(index.latent_start[i]) + s :][:L].astype(np.int64)  # [T_lat]
    acts[0] = 0
    has = bool(index.has_caption[i])
    cap = torch.from_numpy(a["caption"][i].copy()) if has else torch.zeros(cfg.caption_dim)  # [D]
    shape = tuple(int(x) for x in a["latent_shape"][i])
    return TrainSample(
        key=index.keys[i],
        c2w=torch.from_numpy(recenter(a["c2w"][f : f + n])),
        K=torch.from_numpy(a["K"][f : f + n].copy()),
        actions=torch.from_numpy(acts),
        caption_embedding=cap,
        has_caption=has,
        window_start=4 * s,
        latents=LatentSlab(
            index.url, int(a["latent_offset"][i]), index.latent_dtype, shape, s, L, index.time_major
        ),
        meta=index.meta(i),
    )
