"""The HY-WorldPlay release's training files: pose JSON, action JSON and the dataset list.

Layout, as the release writes it (``datasets/hy_preprocess/preprocess_gamefactory_dataset.py``) and its
trainer reads it (``trainer/dataset/ar_camera_hunyuan_w_mem_dataset.py``, ``CameraJsonWMemDataset``):

- pose JSON ``<name>_pose.json``: ``{"0": {"w2c": 4x4, "intrinsic": 3x3 pixel K}, "1": ...}`` with a
  key for EVERY video frame, in frame order: the trainer takes ``list(keys)[4 i]`` for latent i (by
  position, so the keys are written in numeric order, never sorted as strings). It normalises K itself
  (``fx / 2cx``, ``fy / 2cy``) and re-centres the poses on the first one, so we write pixel K and the
  world-frame w2c as they are.
- action JSON ``<name>_action.json``: ``{"0": {"move_action": str, "view_action": str}, ...}`` per video
  frame; the trainer reads entry 4i for latent i >= 1. Frame t carries the label of the latent it belongs
  to (latent ``ceil(t / 4)``; frames after the last complete latent get none) unless per-frame labels are
  given. move_action is spelled as the release does: keys concatenated ("W", "WD", "SA", "" for none);
  the trainer tests it by substring. view_action is "LR" / "LL" / "LU" / "LD" / "" for single rotations.
  The trainer matches view_action exactly against those four, so it cannot read a combined rotation:
  ``view_combos="keep"`` (default) writes "LR+LU" (``manifests.actions.label_to_hy``; lossless,
  ``hy_to_label`` reads it back; the release trainer reads it as no rotation), ``view_combos="yaw"`` writes
  only the yaw key, as the release's own preprocessing does (it prefers yaw over pitch).
- dataset list: a JSON list of ``{"latent_path", "pose_path", "action_path"}``. The trainer reads
  action_path only when latent_path contains the substring ``latent_dataset_w_action``; otherwise it
  recomputes actions from the poses (release thresholds). It opens the paths as given (relative paths
  resolve against its working directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from manifests.actions import NUM_ACTIONS, hy_to_label, label_to_hy
from manifests.atomic import atomic_write_text
from manifests.layout import FRAMES_PER_LATENT, num_latents
from wpdata.geometry import as_se3, invert_se3

__all__ = [
    "hy_action_entry",
    "hy_pose_json",
    "hy_action_json",
    "write_hy_worldplay",
    "read_hy_worldplay",
    "write_hy_dataset_list",
]

_VIEW_COMBOS = ("keep", "yaw")
_LIST_KEYS = ("latent_path", "pose_path", "action_path")


def hy_action_entry(label: int, view_combos: str = "keep") -> dict[str, str]:
    """``{"move_action", "view_action"}`` of one label in the release's spelling (module docstring)."""
    if view_combos not in _VIEW_COMBOS:
        raise ValueError(f"view_combos must be one of {_VIEW_COMBOS}, got {view_combos!r}")
    entry = label_to_hy(int(label))
    move = entry["move_action"].replace("+", "")
    view = entry["view_action"]
    if view_combos == "yaw" and "+" in view:
        view = view.split("+")[0]  # ROT_NAMES list the yaw key first ("right+up" -> "LR")
    return {"move_action": move, "view_action": view}


def _intrinsics(K: np.ndarray, T: int) -> np.ndarray:
    K = np.asarray(K, dtype=np.float64)
    if K.shape == (3, 3):
        K = np.broadcast_to(K, (T, 3, 3))
    if K.shape != (T, 3, 3) or not np.isfinite(K).all():
        raise ValueError(f"K must be finite [3, 3] or [{T}, 3, 3], got shape {list(K.shape)}")
    if (
        (K[:, 0, 0] <= 0).any()
        or (K[:, 1, 1] <= 0).any()
        or (K[:, 0, 2] <= 0).any()
        or (K[:, 1, 2] <= 0).any()
    ):
        raise ValueError("K must have positive fx, fy, cx, cy (the release divides by cx, cy)")
    return K


def hy_pose_json(c2w: np.ndarray, K: np.ndarray) -> dict[str, dict[str, list]]:
    """Pose JSON object: per video frame ``{"w2c": inv(c2w) 4x4, "intrinsic": K 3x3}``."""
    c2w = as_se3(c2w, "c2w")  # [T, 4, 4]
    if c2w.ndim != 3 or len(c2w) == 0:
        raise ValueError(f"c2w must be a non-empty [T, 4, 4] array, got shape {list(c2w.shape)}")
    Ks = _intrinsics(K, len(c2w))  # [T, 3, 3]
    w2c = invert_se3(c2w)  # [T, 4, 4]
    return {str(t): {"w2c": w2c[t].tolist(), "intrinsic": Ks[t].tolist()} for t in range(len(c2w))}


def _labels(a: Sequence[int] | np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-d integer array, got {a.dtype} {list(a.shape)}")
    if a.size and (a.min() < 0 or a.max() >= NUM_ACTIONS):
        raise ValueError(f"{name} outside [0, {NUM_ACTIONS}): min {a.min()}, max {a.max()}")
    return a.astype(np.int64)


def hy_action_json(
    latent_labels: Sequence[int] | np.ndarray,
    num_frames: int,
    frame_labels: Sequence[int] | np.ndarray | None = None,
    view_combos: str = "keep",
) -> dict[str, dict[str, str]]:
    """Action JSON object with an entry per video frame (frame 4i carries latent i's label)."""
    lat = _labels(latent_labels, "latent_labels")
    if len(lat) != num_latents(num_frames):
        raise ValueError(
            f"{len(lat)} latent labels for {num_frames} frames; expected {num_latents(num_frames)}"
        )
    if frame_labels is None:
        idx = (np.arange(num_frames) + FRAMES_PER_LATENT - 1) // FRAMES_PER_LATENT  # latent of each frame
        per_frame = np.where(idx < len(lat), lat[np.minimum(idx, len(lat) - 1)], 0)
    else:
        per_frame = _labels(frame_labels, "frame_labels")
        if len(per_frame) != num_frames:
            raise ValueError(f"{len(per_frame)} frame labels for {num_frames} frames")
        if not np.array_equal(per_frame[::FRAMES_PER_LATENT][1:], lat[1:]):
            raise ValueError("frame_labels[4 i] must equal latent_labels[i] (the trainer reads frame 4i)")
    return {str(t): hy_action_entry(int(x), view_combos) for t, x in enumerate(per_frame)}


def _dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True) + "\n"


def write_hy_worldplay(
    out_dir: str | os.PathLike,
    name: str,
    c2w: np.ndarray,
    K: np.ndarray,
    latent_labels: Sequence[int] | np.ndarray,
    latent_path: str | os.PathLike | None = None,
    *,
    frame_labels: Sequence[int] | np.ndarray | None = None,
    view_combos: str = "keep",
) -> dict[str, Path]:
    """Write ``<name>_pose.json`` and ``<name>_action.json`` in out_dir (atomically).

    Returns ``{"pose_path", "action_path"}`` plus ``"latent_path"`` when given: a dataset list entry.
    """
    if not name or "/" in name or os.sep in name:
        raise ValueError(f"name must be a plain file stem, got {name!r}")
    poses = hy_pose_json(c2w, K)
    actions = hy_action_json(latent_labels, len(poses), frame_labels, view_combos)
    out = Path(out_dir)
    paths: dict[str, Path] = {}
    if latent_path is not None:
        paths["latent_path"] = Path(latent_path)
    paths["pose_path"] = atomic_write_text(out / f"{name}_pose.json", _dump(poses))
    paths["action_path"] = atomic_write_text(out / f"{name}_action.json", _dump(actions))
    return paths


def read_hy_worldplay(
    pose_path: str | os.PathLike, action_path: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(c2w [T, 4, 4], pixel K [T, 3, 3], latent labels [L] or None) read the way the release trainer does."""
    try:
        poses = json.loads(Path(pose_path).read_text())
        keys = list(poses)
        w2c = np.array([poses[k]["w2c"] for k in keys], dtype=np.float64)
        K = np.array([poses[k]["intrinsic"] for k in keys], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{pose_path}: not an HY-WorldPlay pose JSON ({exc!r})") from exc
    if w2c.ndim != 3 or w2c.shape[1:] != (4, 4) or K.shape[1:] != (3, 3):
        raise ValueError(f"{pose_path}: expected 4x4 w2c and 3x3 intrinsic per frame")
    c2w = invert_se3(w2c)
    if action_path is None:
        return c2w, K, None
    try:
        actions = json.loads(Path(action_path).read_text())
        entries = list(actions.values())
        L = num_latents(len(entries))
        labels = np.array([0] + [hy_to_label(entries[FRAMES_PER_LATENT * i]) for i in range(1, L)], np.int16)
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"{action_path}: not an HY-WorldPlay action JSON ({exc})") from exc
    return c2w, K, labels


def _rel(p: str | os.PathLike, base: Path, relative: bool) -> str:
    """``p`` (relative paths count from the working directory) relative to ``base`` when asked."""
    if not relative:
        return str(p)
    try:
        return os.path.relpath(os.path.abspath(p), base)
    except ValueError:  # on another drive (Windows): keep it absolute
        return os.path.abspath(p)


def write_hy_dataset_list(
    path: str | os.PathLike, entries: Iterable[Mapping[str, str | os.PathLike]], relative: bool = True
) -> Path:
    """Write the release's dataset list: a JSON list of ``{latent_path, pose_path, action_path}``.

    An entry without latents gets ``latent_path: null`` (the release's loader needs latents: encode them
    first); pose_path is required.

    With ``relative`` each path (a relative one counts from the working directory) is written relative
    to the list's folder; the release trainer resolves paths against its own working directory, so run
    it from that folder, or pass relative=False to keep the paths as given.
    """
    path = Path(path)
    base = path.resolve().parent
    rows = []
    for i, e in enumerate(entries):
        if not isinstance(e, Mapping):
            raise ValueError(f"dataset list entry {i} must be a mapping, got {type(e).__name__}")
        missing = [k for k in ("pose_path",) if not e.get(k)]
        if missing:
            raise ValueError(f"dataset list entry {i} lacks {missing}")
        extra = sorted(set(e) - set(_LIST_KEYS))
        if extra:
            raise ValueError(f"dataset list entry {i} has unknown key(s) {extra}; expected {_LIST_KEYS}")
        # no latents yet (encode them with `wp shard`): latent_path is null, the release loader needs it
        rows.append(
            {
                k: _rel(e[k], base, relative) if e.get(k) else None
                for k in _LIST_KEYS
                if e.get(k) or k == "latent_path"
            }
        )
    return atomic_write_text(path, json.dumps(rows, indent=2) + "\n")
