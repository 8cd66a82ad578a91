"""The WebDataset shard sample layout (DESIGN.md "Shards") as data, and a checker for one sample.

A sample is the set of tar members ``<key>.<suffix>``. T video frames, ``num_latents(T)`` latent frames
(a latent covers 4 video frames; latent i uses video frame 4i, so T_latent = (T - 1) // 4 + 1).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
from dataclasses import dataclass

import numpy as np

from manifests.actions import NUM_ACTIONS

FRAMES_PER_LATENT = 4


@dataclass(frozen=True)
class Member:
    """One tar member of a sample."""

    suffix: str
    required: bool
    dtype: str  # numpy dtype of an npy member, or the file format
    shape: str  # shape as text
    description: str


MEMBERS: dict[str, Member] = {
    m.suffix: m
    for m in (
        Member("mp4", True, "H.264 yuv420p", "[T, H, W, 3]", "the clip or clip window"),
        Member("c2w.npy", True, "float32", "[T, 4, 4]", "camera-to-world, OpenCV axes, per video frame"),
        Member("K.npy", True, "float32", "[3, 3] or [T, 3, 3]", "pixel intrinsics at the mp4's size"),
        Member("action.npy", True, "int16", "[T_latent]", "81-class action label per latent frame"),
        Member("json", True, "utf-8 JSON object", "{}", "caption, fps, size, source, scores, provenance"),
        Member("caption.npy", False, "float32", "[D]", "caption embedding (all-MiniLM-L6-v2: D = 384)"),
        Member("latent.safetensors", False, "safetensors", "{latent, caption_embedding}", "VAE latents"),
    )
}
REQUIRED_SUFFIXES: tuple[str, ...] = tuple(s for s, m in MEMBERS.items() if m.required)

# Keys every sample json must have: what a trainer needs without opening the manifests.
JSON_REQUIRED_KEYS: tuple[str, ...] = (
    "item_id",
    "caption",
    "fps",
    "width",
    "height",
    "num_frames",
    "num_latents",
    "source",
    "scores",
    "provenance",
)

_MAX_KEY = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def num_latents(num_frames: int) -> int:
    """Latent frames covering ``num_frames`` video frames (causal VAE: first frame alone, then 4 each)."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    return (int(num_frames) - 1) // FRAMES_PER_LATENT + 1


def safe_key(s: str) -> str:
    """A WebDataset sample key: only [A-Za-z0-9_-] (no dots, which split suffixes), at most 120 chars.

    Runs of other characters become "_" (so "a.b" and "a_b" give the same key: feed it ids). Long keys
    are cut and suffixed with a hash of the full string so distinct long inputs stay distinct.
    """
    if not isinstance(s, str) or not s.strip():
        raise ValueError(f"sample key source must be a non-empty string, got {s!r}")
    key = _UNSAFE.sub("_", s.strip()).strip("_") or "_"
    if len(key) > _MAX_KEY:
        key = key[: _MAX_KEY - 13] + "_" + hashlib.sha1(s.encode()).hexdigest()[:12]
    return key


def sample_members(key: str, with_latent: bool = False) -> dict[str, str]:
    """Member file names of a sample by suffix: ``{"mp4": "<key>.mp4", ...}``."""
    if safe_key(key) != key:
        raise ValueError(f"sample key {key!r} is not safe; use safe_key() -> {safe_key(key)!r}")
    return {
        s: f"{key}.{s}"
        for s, m in MEMBERS.items()
        if m.required or (with_latent and s == "latent.safetensors")
    }


def _load_npy(data: bytes, suffix: str) -> tuple[np.ndarray | None, str | None]:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False), None
    except (ValueError, OSError, EOFError) as exc:
        return None, f"{suffix}: not a valid .npy ({exc})"


def _check_safetensors(data: bytes) -> list[str]:
    if len(data) < 8:
        return ["latent.safetensors: too short"]
    (n,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + n])
    except (ValueError, UnicodeDecodeError):
        return ["latent.safetensors: header is not JSON"]
    return [] if isinstance(header, dict) else ["latent.safetensors: header is not a JSON object"]


def validate_sample(members: dict[str, bytes]) -> list[str]:
    """Problems of one sample given its members' bytes by suffix (``__key__`` etc. are ignored)."""
    problems = [f"missing member .{s}" for s in REQUIRED_SUFFIXES if s not in members]
    unknown = sorted(s for s in members if s not in MEMBERS and not s.startswith("__"))
    if unknown:
        problems.append(f"unknown member suffix(es): {unknown}")
    mp4 = members.get("mp4")
    if mp4 is not None and (len(mp4) < 12 or mp4[4:8] != b"ftyp"):
        problems.append("mp4: not an MP4 file (no ftyp box)")
    T = None
    if "c2w.npy" in members:
        c2w, err = _load_npy(members["c2w.npy"], "c2w.npy")
        if err:
            problems.append(err)
        elif c2w.dtype != np.float32 or c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or len(c2w) == 0:
            problems.append(f"c2w.npy: expected float32 [T, 4, 4], got {c2w.dtype} {list(c2w.shape)}")
        elif not np.isfinite(c2w).all():
            problems.append("c2w.npy: has non-finite values")
        else:
            T = len(c2w)
    if "K.npy" in members:
        K, err = _load_npy(members["K.npy"], "K.npy")
        if err:
            problems.append(err)
        elif K.dtype != np.float32 or K.shape[-2:] != (3, 3) or K.ndim not in (2, 3):
            problems.append(f"K.npy: expected float32 [3, 3] or [T, 3, 3], got {K.dtype} {list(K.shape)}")
        elif K.ndim == 3 and T is not None and len(K) != T:
            problems.append(f"K.npy: {len(K)} intrinsics for {T} poses")
    if "action.npy" in members:
        a, err = _load_npy(members["action.npy"], "action.npy")
        if err:
            problems.append(err)
        elif a.dtype != np.int16 or a.ndim != 1:
            problems.append(f"action.npy: expected int16 [T_latent], got {a.dtype} {list(a.shape)}")
        else:
            if a.size and (a.min() < 0 or a.max() >= NUM_ACTIONS):
                problems.append(
                    f"action.npy: labels outside [0, {NUM_ACTIONS}): min {a.min()}, max {a.max()}"
                )
            if T is not None and len(a) != num_latents(T):
                problems.append(
                    f"action.npy: {len(a)} labels for {T} frames; expected {num_latents(T)} latents"
                )
    if "json" in members:
        problems += _check_json(members["json"], T)
    if "caption.npy" in members:
        e, err = _load_npy(members["caption.npy"], "caption.npy")
        if err:
            problems.append(err)
        elif e.dtype != np.float32 or e.ndim != 1 or not np.isfinite(e).all():
            problems.append(f"caption.npy: expected finite float32 [D], got {e.dtype} {list(e.shape)}")
    if "latent.safetensors" in members:
        problems += _check_safetensors(members["latent.safetensors"])
    return problems


def _check_json(data: bytes, T: int | None) -> list[str]:
    try:
        meta = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"json: not valid JSON ({exc})"]
    if not isinstance(meta, dict):
        return ["json: not a JSON object"]
    problems = []
    missing = [k for k in JSON_REQUIRED_KEYS if k not in meta]
    if missing:
        problems.append(f"json: missing key(s) {missing}")
    if T is not None and isinstance(meta.get("num_frames"), int) and meta["num_frames"] != T:
        problems.append(f"json: num_frames {meta['num_frames']} but c2w.npy has {T} poses")
    return problems
