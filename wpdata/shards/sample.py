"""The members of one shard sample (``manifests.layout``): mp4, c2w.npy, K.npy, action.npy, json
[, latent.safetensors], as bytes, validated with ``manifests.layout.validate_sample``.

- mp4: the whole clip is copied byte for byte; a window is cut frame-exactly (decode frames
  ``[start, start + len)`` with one thread, re-encode with libx264 at the clip's fps, one encoder
  thread, fixed crf / preset), so the same inputs give the same bytes.
- c2w.npy ``[T, 4, 4]`` float32 and K.npy ``[T, 3, 3]`` float32: the window's slice of the annotated
  poses, not re-centred (the reader re-centres on the window's first frame).
- action.npy ``[T_latent]`` int16: the window's slice of the clip's latent labels. Windows start on a
  latent boundary (a multiple of 4 frames), so window latent j is clip latent ``start // 4 + j``; its
  latent 0 keeps the clip's label for that latent (the motion from the previous latent, which lies
  before the window) rather than being reset to 0 as a fresh clip's first latent is.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manifests.layout import FRAMES_PER_LATENT, MEMBERS, num_latents, validate_sample
from wpdata.video import iter_frames, write_mp4
from wpdata.video.container import open_input, stream_fps, stream_num_frames, video_stream


@dataclass(frozen=True)
class EncodeSettings:
    """libx264 settings of cut windows (threads are always 1: deterministic bytes)."""

    crf: int = 18
    preset: str = "veryfast"


@dataclass
class ItemArrays:
    """An item's annotated arrays."""

    c2w: np.ndarray  # [T, 4, 4] float32, OpenCV camera-to-world
    K: np.ndarray  # [T, 3, 3] float32, pixel intrinsics
    latent_labels: np.ndarray  # [L] int16, L = num_latents(T)


def _npz(path: Path, keys: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{what} npz not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise ValueError(f"{path}: not a {what} npz, missing key(s) {missing}; has {sorted(z.files)}")
            return {k: z[k] for k in keys}
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: unreadable {what} npz ({type(exc).__name__}: {exc})") from exc
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: unreadable {what} npz ({exc})") from exc


def load_item_arrays(pose_path: str | os.PathLike, actions_path: str | os.PathLike) -> ItemArrays:
    """c2w / K from the pose npz and latent labels from the actions npz, checked against each other."""
    poses = _npz(Path(pose_path), ("c2w", "K"), "poses")
    acts = _npz(Path(actions_path), ("latent_labels",), "actions")
    c2w = np.asarray(poses["c2w"], np.float32)  # [T, 4, 4]
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or len(c2w) == 0 or not np.isfinite(c2w).all():
        raise ValueError(f"{pose_path}: c2w must be finite [T, 4, 4], got {list(c2w.shape)}")
    K = np.asarray(poses["K"], np.float32)
    if K.shape == (3, 3):
        K = np.repeat(K[None], len(c2w), axis=0)
    if K.shape != (len(c2w), 3, 3):
        raise ValueError(f"{pose_path}: K must be [3, 3] or [{len(c2w)}, 3, 3], got {list(K.shape)}")
    lat = np.asarray(acts["latent_labels"])
    if lat.ndim != 1 or len(lat) != num_latents(len(c2w)):
        raise ValueError(
            f"{actions_path}: {len(lat)} latent labels for {len(c2w)} poses "
            f"(expected {num_latents(len(c2w))}; actions and poses disagree)"
        )
    return ItemArrays(c2w=c2w, K=K, latent_labels=lat.astype(np.int16))


def window_arrays(arrays: ItemArrays, start: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(c2w [n, 4, 4], K [n, 3, 3], actions [num_latents(n)]) of frames ``[start, start + length)``."""
    T = len(arrays.c2w)
    if start % FRAMES_PER_LATENT or start < 0 or length < 1 or start + length > T:
        raise ValueError(f"window [{start}, {start + length}) is not a latent-aligned span of {T} frames")
    first = start // FRAMES_PER_LATENT
    c2w = arrays.c2w[start : start + length]
    K = arrays.K[start : start + length]
    action = arrays.latent_labels[first : first + num_latents(length)]
    return c2w, K, action


def npy_bytes(a: np.ndarray) -> bytes:
    """``np.save`` bytes of ``a`` (no pickle)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def _plain(v: Any) -> Any:
    """JSON-safe: numpy -> python, NaN / inf -> None, tuples -> lists."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_plain(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def json_bytes(meta: dict[str, Any]) -> bytes:
    """Canonical UTF-8 JSON (sorted keys, no spaces, no NaN): the same dict gives the same bytes."""
    return json.dumps(_plain(meta), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def cut_window(
    video: str | os.PathLike, start: int, length: int, fps: float, encode: EncodeSettings
) -> bytes:
    """Frames ``[start, start + length)`` of ``video`` re-encoded as an H.264 mp4 (bytes), frame-exact."""
    frames = list(iter_frames(video, start, start + length, threads=1))  # [H, W, 3] uint8 each
    if len(frames) != length:
        raise ValueError(f"{video}: decoded {len(frames)} frames for the window [{start}, {start + length})")
    with tempfile.TemporaryDirectory(prefix="wp-shard-") as tmp:
        out = write_mp4(
            Path(tmp) / "window.mp4", frames, fps, crf=encode.crf, preset=encode.preset, threads=1
        )
        return out.read_bytes()


@dataclass(frozen=True)
class _VideoFacts:
    width: int
    height: int
    codec: str
    fps: float | None
    num_frames: int


def _video_facts(video: str | os.PathLike) -> _VideoFacts:
    """Size, codec, fps and frame count from the container header (no decode: cheaper than ``probe``)."""
    with open_input(video) as container:
        stream = video_stream(container, video)
        fps = stream_fps(stream)
        n, _ = stream_num_frames(container, stream, video, fps, timeout_s=60.0)
        cc = stream.codec_context
        return _VideoFacts(int(cc.width), int(cc.height), str(cc.name), fps, n)


def build_sample(
    video: str | os.PathLike,
    arrays: ItemArrays,
    meta: dict[str, Any],
    window: tuple[int, int] | None = None,
    encode: EncodeSettings = EncodeSettings(),
    latent: bytes | None = None,
    caption_embedding: np.ndarray | None = None,
) -> dict[str, bytes]:
    """Members of one sample by suffix (``MEMBERS`` order); ``window`` = (start, length) or None (whole).

    ``meta`` is the sample json (``sample_meta``); its num_frames / num_latents are set here. Raises
    ValueError naming the video when the video disagrees with the poses or the sample does not validate.
    """
    info = _video_facts(video)
    T = len(arrays.c2w)
    if (info.width, info.height) != (meta.get("width"), meta.get("height")):
        raise ValueError(
            f"{video}: video is {info.width}x{info.height} but the annotation says "
            f"{meta.get('width')}x{meta.get('height')}"
        )
    if window is None:
        if info.num_frames != T:
            raise ValueError(f"{video}: {info.num_frames} video frames but {T} annotated poses")
        if info.codec != "h264":
            raise ValueError(f"{video}: codec {info.codec}, shards hold H.264 (re-export the clip)")
        start, length = 0, T
        mp4 = Path(video).read_bytes()
    else:
        start, length = int(window[0]), int(window[1])
        fps = meta.get("fps") or info.fps
        if not fps:
            raise ValueError(f"{video}: no frame rate in the annotation or the container")
        mp4 = cut_window(video, start, length, float(fps), encode)
    c2w, K, action = window_arrays(arrays, start, length)
    meta = {**meta, "num_frames": length, "num_latents": num_latents(length)}
    members = {
        "mp4": mp4,
        "c2w.npy": npy_bytes(c2w.astype(np.float32)),
        "K.npy": npy_bytes(K.astype(np.float32)),
        "action.npy": npy_bytes(action.astype(np.int16)),
        "json": json_bytes(meta),
    }
    if caption_embedding is not None:  # [D] float32, so mp4 training needs no text encoder
        members["caption.npy"] = npy_bytes(np.asarray(caption_embedding, np.float32).reshape(-1))
    if latent is not None:
        members["latent.safetensors"] = bytes(latent)
    problems = validate_sample(members)
    if problems:
        raise ValueError(f"sample of {video} [{start}, {start + length}) is invalid: {'; '.join(problems)}")
    return {s: members[s] for s in MEMBERS if s in members}
