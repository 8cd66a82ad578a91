"""One raw shard sample (member bytes by suffix, as webdataset yields it) -> a typed training sample.

Layout of the members: ``manifests.layout.MEMBERS``. The sample is cut to a chunk-aligned window
(``wpmodel.data.window``): video frames ``[16 k, 16 k + 4 (L - 1) + 1)``, latents ``[4 k, 4 k + L)``.
Poses are re-centred on the window's first frame, actions sliced to the window's latents with latent 0
set to 0 (the release's convention: the first latent has no predecessor to move from).

Captions: the embedding comes from ``latent.safetensors`` key ``caption_embedding`` when the sample
has that member (in either mode), else from the ``caption.npy`` member. Without it the sample carries zeros and ``has_caption=False``; the
trainer treats those samples like caption dropout (unconditional), it never trains on a zero vector
as if it were a caption.

Bad samples never raise out of ``decode_sample``: they are counted in a SkipCounter by a short reason
(``missing:<suffixes>``, ``bad:<suffix>``, ``length_mismatch``, ``shorter_than_window``, ``error:<type>``; the loader adds ``read_error:<type>``
for shards it cannot read)
with the full message (sample key and shard) kept as an example. Members the layout does not define are
ignored and counted by suffix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from manifests.actions import NUM_ACTIONS
from manifests.latent_format import TIME_MAJOR, latent_layout
from manifests.layout import MEMBERS, num_latents
from wpmodel.data.decode import DecodeError, decode_mp4, to_unit_planar
from wpmodel.data.latent_slab import LatentSlab
from wpmodel.data.npy import load_npy
from wpmodel.data.safetensors_view import Entries, load_safetensors, safetensors_header
from wpmodel.data.stats import SkipCounter
from wpmodel.data.window import (
    CHUNK_LATENTS,
    WindowError,
    pick_window,
    recenter,
    window_frames,
    window_rng,
)

# stock webdataset lower-cases suffixes ("<key>.K.npy" -> "k.npy"); accept both spellings
_ALIASES = {s.lower(): s for s in MEMBERS}
CAPTION_DIM = 384  # all-MiniLM-L6-v2, the project's caption embedder


class SampleError(ValueError):
    """A sample the reader cannot use; ``reason`` is short and countable, the message says the rest."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SampleConfig:
    """How samples are cut and decoded."""

    window_latents: int | None = None  # None: the whole sample (its frames cut to 4 (L - 1) + 1)
    latents: bool = False  # read latent.safetensors instead of decoding the mp4
    random_window: bool = True  # uniform over chunk-aligned starts; False: the first window
    seed: int = 0
    size: tuple[int, int] | None = None  # (width, height) to resize decoded video to; K follows
    decode_threads: int = 0  # FFmpeg decoder threads (0: FFmpeg picks)
    caption_dim: int = CAPTION_DIM  # length of the zero embedding of caption-less samples


@dataclass
class TrainSample:
    key: str
    c2w: torch.Tensor  # [T, 4, 4] float32, OpenCV c2w re-centred on the window's first frame
    K: torch.Tensor  # [T, 3, 3] float32, pixel intrinsics at the returned video size
    actions: torch.Tensor  # [T_lat] int64, latent 0 of the window set to 0
    caption_embedding: torch.Tensor  # [D] float32 (zeros when has_caption is False)
    has_caption: bool
    window_start: int  # first video frame of the window within the sample
    frames: np.ndarray | None = None  # [T, H, W, 3] uint8 RGB as decoded; see ``video``
    # [T_lat, C, h, w] in the stored dtype: a view of the stored bytes, or (local shards) a
    # LatentSlab that collate reads from the file straight into the batch (``latent_slab.materialize``)
    latents: torch.Tensor | LatentSlab | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # the sample's json

    @property
    def video(self) -> torch.Tensor | None:
        """[T, 3, H, W] float32 in [-1, 1]; computed on access (collate writes it straight into the batch)."""
        return None if self.frames is None else torch.from_numpy(to_unit_planar(self.frames))


def _npy(data: bytes, suffix: str, where: str) -> np.ndarray:
    try:
        return load_npy(data)
    except (ValueError, OSError, EOFError) as exc:
        raise SampleError(f"bad:{suffix}", f"{where}: {suffix} is not a valid .npy ({exc})") from exc


def _check(ok: bool, suffix: str, where: str, what: str) -> None:
    if not ok:
        raise SampleError(f"bad:{suffix}", f"{where}: {suffix} {what}")


def _read_arrays(m: dict[str, bytes], where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated c2w [T, 4, 4], K [3, 3] or [T, 3, 3] float32 and actions [T_lat] of a sample.

    Messages are built only on failure (formatting them for every sample cost more than the checks).
    """
    c2w = _npy(m["c2w.npy"], "c2w.npy", where)
    if not (c2w.dtype.kind == "f" and c2w.ndim == 3 and c2w.shape[1:] == (4, 4) and len(c2w) > 0):
        _check(False, "c2w.npy", where, f"must be float [T, 4, 4], got {c2w.dtype} {list(c2w.shape)}")
    _check(bool(np.isfinite(c2w).all()), "c2w.npy", where, "has non-finite values")
    T = len(c2w)
    K = _npy(m["K.npy"], "K.npy", where)
    if not (
        K.dtype.kind == "f" and K.shape[-2:] == (3, 3) and (K.ndim == 2 or (K.ndim == 3 and len(K) == T))
    ):
        _check(False, "K.npy", where, f"must be float [3, 3] or [{T}, 3, 3], got {K.dtype} {list(K.shape)}")
    a = _npy(m["action.npy"], "action.npy", where)
    if not (a.dtype.kind in "iu" and a.ndim == 1):
        _check(False, "action.npy", where, f"must be int [T_lat], got {a.dtype}")
    _check(a.size == 0 or (a.min() >= 0 and a.max() < NUM_ACTIONS), "action.npy", where, "has labels >= 81")
    if len(a) != num_latents(T):
        raise SampleError(
            "length_mismatch", f"{where}: {len(a)} action labels for {T} poses ({num_latents(T)} latents)"
        )
    return c2w, K, a


def _read_json(data: bytes | memoryview, where: str) -> dict[str, Any]:
    try:
        meta = json.loads(bytes(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SampleError("bad:json", f"{where}: json is not valid JSON ({exc})") from exc
    _check(isinstance(meta, dict), "json", where, "is not a JSON object")
    return meta


def _read_safetensors(data: bytes | memoryview, where: str) -> tuple[dict[str, torch.Tensor], Entries, bool]:
    """The member's tensors, entries and whether ``latent`` is stored time-major (layout TCHW)."""
    try:
        entries, meta = safetensors_header(data)
        return load_safetensors(data, entries), entries, latent_layout(meta) == TIME_MAJOR
    except ValueError as exc:
        raise SampleError(
            "bad:latent.safetensors", f"{where}: latent.safetensors unreadable ({exc})"
        ) from exc


def _latent_window(full: torch.Tensor, s: int, L: int, time_major: bool) -> torch.Tensor:
    """The window's [L, C, h, w] of latent [T_lat, C, h, w] (a contiguous slice) or [C, T_lat, h, w]
    (a strided view; collate copies it once)."""
    return full[s : s + L] if time_major else full[:, s : s + L].permute(1, 0, 2, 3)


def _latent_slab(
    raw: dict[str, Any], entries: Entries, s: int, L: int, time_major: bool
) -> LatentSlab | None:
    """The window as a LatentSlab when the sample came from a local shard (file offsets known)."""
    at = raw.get("__offsets__", {}).get("latent.safetensors")
    if at is None:
        return None
    dtype, shape, offset = entries["latent"]
    C, T, h, w = (shape[1], shape[0], *shape[2:]) if time_major else shape
    return LatentSlab(str(raw["__url__"]), at + offset, dtype, (C, T, h, w), s, L, time_major)


def parse_sample(
    raw: dict[str, Any], cfg: SampleConfig, epoch: int = 0, counter: SkipCounter | None = None
) -> TrainSample:
    """The typed, windowed sample of one raw webdataset sample; raises SampleError."""
    key = str(raw.get("__key__", "?"))
    where = f"sample {key!r} in {raw.get('__url__', '?')}"
    m = {_ALIASES.get(s, s): v for s, v in raw.items() if not s.startswith("__")}
    if counter is not None:
        counter.unknown_members.update(s for s in m if s not in MEMBERS)
    need = ("latent.safetensors" if cfg.latents else "mp4", "c2w.npy", "K.npy", "action.npy", "json")
    missing = [s for s in need if s not in m]
    if missing:
        raise SampleError("missing:" + "+".join(missing), f"{where}: missing member(s) {missing}")
    meta = _read_json(m["json"], where)
    c2w, K, actions = _read_arrays(m, where)
    tensors, entries, time_major = (
        _read_safetensors(m["latent.safetensors"], where) if "latent.safetensors" in m else ({}, {}, False)
    )
    total = len(actions)
    L = cfg.window_latents or total
    try:
        random = cfg.random_window and total - L >= CHUNK_LATENTS  # one start: no generator needed
        s = pick_window(total, L, window_rng(cfg.seed, epoch, key) if random else None)
    except WindowError as exc:
        raise SampleError("shorter_than_window", f"{where}: {exc}") from exc
    f0, n = 4 * s, window_frames(L)
    K_win = np.empty((n, 3, 3), np.float32)  # [T, 3, 3]
    K_win[:] = K if K.ndim == 2 else K[f0 : f0 + n]
    K = K_win
    acts = actions[s : s + L].astype(np.int64)  # [T_lat]
    acts[0] = 0
    video = lat = None
    if cfg.latents:
        full = tensors.get("latent")
        ok = full is not None and full.ndim == 4 and full.shape[0 if time_major else 1] == total
        if not ok:
            want = f"[{total}, C, h, w] (layout TCHW)" if time_major else f"[C, {total}, h, w]"
            shape = None if full is None else list(full.shape)
            _check(False, "latent.safetensors", where, f"'latent' must be {want}, got {shape}")
        lat = _latent_slab(raw, entries, s, L, time_major) or _latent_window(full, s, L, time_major)
        # lat: [T_lat, C, h, w]
    else:
        try:
            dec = decode_mp4(m["mp4"], f0, f0 + n, cfg.size, cfg.decode_threads, name=where)
        except DecodeError as exc:
            raise SampleError("bad:mp4", str(exc)) from exc
        if cfg.size is not None:  # pixel-edge convention, as wpdata.geometry.scale_K
            K[:, 0, :] *= cfg.size[0] / dec.source_size[0]
            K[:, 1, :] *= cfg.size[1] / dec.source_size[1]
        video = dec.frames  # [T, H, W, 3] uint8
    cap = tensors.get("caption_embedding")
    if cap is None and "caption.npy" in m:
        try:
            cap = torch.from_numpy(load_npy(m["caption.npy"]).astype(np.float32))
        except (ValueError, OSError, EOFError) as exc:
            raise SampleError("bad:caption.npy", f"{where}: caption.npy unreadable ({exc})") from exc
    has_caption = cap is not None
    if not has_caption:
        cap = torch.zeros(cfg.caption_dim)  # [D] (384 values)
    elif cap.dtype != torch.float32:
        cap = torch.from_numpy(cap.numpy().astype(np.float32)) if cap.dtype != torch.bfloat16 else cap.float()
    cap = cap.reshape(-1)  # [D], a view
    return TrainSample(
        key=key,
        c2w=torch.from_numpy(recenter(c2w[f0 : f0 + n])),
        K=torch.from_numpy(K),
        actions=torch.from_numpy(acts),
        caption_embedding=cap,
        has_caption=has_caption,
        window_start=f0,
        frames=video,
        latents=lat,
        meta=meta,
    )


def decode_sample(
    raw: dict[str, Any], cfg: SampleConfig, counter: SkipCounter, epoch: int = 0
) -> TrainSample | None:
    """``parse_sample``, but a sample it cannot use is counted in ``counter`` and gives None."""
    counter.samples_read += 1
    try:
        out = parse_sample(raw, cfg, epoch, counter)
    except SampleError as exc:
        counter.skip(exc.reason, str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - a bad sample must never stop training; counted
        counter.skip(f"error:{type(exc).__name__}", f"sample {raw.get('__key__')!r}: {exc!r}")
        return None
    counter.samples_ok += 1
    return out
