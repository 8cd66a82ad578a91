"""A clip's action annotation: computed from its poses, saved as ``<clip_id>.actions.npz``, loaded back.

npz keys: ``frame_labels`` int16 [T], ``latent_labels`` int16 [L] (L = num_latents(T)), ``rel_latent``
float32 [L, 4, 4] (relative pose of each latent step, identity for latent 0), ``thresholds`` the
:class:`ActionThresholds` used, as a JSON string (a 0-d unicode array; no pickle needed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manifests.actions import NUM_ACTIONS
from manifests.atomic import atomic_save_npz
from manifests.layout import num_latents
from wpdata.actions.discretize import frame_actions, latent_actions, latent_relative_poses
from wpdata.actions.thresholds import ActionThresholds

__all__ = ["ActionRecord", "actions_from_poses", "save_actions", "load_actions"]

_KEYS = ("frame_labels", "latent_labels", "rel_latent", "thresholds")


@dataclass
class ActionRecord:
    """Actions of one clip: labels per video frame and per latent, latent-step relative poses."""

    frame_labels: np.ndarray  # [T] int16
    latent_labels: np.ndarray  # [L] int16
    rel_latent: np.ndarray  # [L, 4, 4] float64 in memory, float32 on disk
    thresholds: ActionThresholds

    def __getitem__(self, key: str) -> Any:
        """Mapping-style access (``record["latent_labels"]``) to the npz's fields."""
        if key not in _KEYS:
            raise KeyError(f"{key!r}: an action record has {list(_KEYS)}")
        return getattr(self, key)

    def save(self, path: str | os.PathLike) -> Path:
        return save_actions(path, self.frame_labels, self.latent_labels, self.rel_latent, self.thresholds)


def actions_from_poses(c2w: np.ndarray, th: ActionThresholds = ActionThresholds()) -> ActionRecord:
    """The action annotation of a clip's OpenCV c2w poses [T, 4, 4]."""
    return ActionRecord(frame_actions(c2w, th), latent_actions(c2w, th), latent_relative_poses(c2w), th)


def _check(frame_labels, latent_labels, rel_latent, where: str) -> tuple[np.ndarray, ...]:
    f, lat = np.asarray(frame_labels), np.asarray(latent_labels)
    rel = np.asarray(rel_latent, dtype=np.float64)
    for name, a in (("frame_labels", f), ("latent_labels", lat)):
        if a.ndim != 1 or len(a) == 0 or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(
                f"{where}: {name} must be a non-empty 1-d integer array, got {a.dtype} {list(a.shape)}"
            )
        if a.min() < 0 or a.max() >= NUM_ACTIONS:
            raise ValueError(f"{where}: {name} outside [0, {NUM_ACTIONS}): min {a.min()}, max {a.max()}")
    if len(lat) != num_latents(len(f)):
        raise ValueError(
            f"{where}: {len(lat)} latent labels for {len(f)} frames; expected {num_latents(len(f))}"
        )
    if rel.shape != (len(lat), 4, 4) or not np.isfinite(rel).all():
        raise ValueError(f"{where}: rel_latent must be finite [{len(lat)}, 4, 4], got {list(rel.shape)}")
    return f.astype(np.int16), lat.astype(np.int16), rel


def save_actions(
    path: str | os.PathLike,
    frame_labels: np.ndarray,
    latent_labels: np.ndarray,
    rel_latent: np.ndarray,
    thresholds: ActionThresholds | Mapping[str, Any],
) -> Path:
    """Write the action npz atomically (same inputs -> same bytes)."""
    f, lat, rel = _check(frame_labels, latent_labels, rel_latent, f"save_actions({path})")
    th = thresholds if isinstance(thresholds, ActionThresholds) else ActionThresholds.from_dict(thresholds)
    return atomic_save_npz(
        path,
        frame_labels=f,
        latent_labels=lat,
        rel_latent=rel.astype(np.float32),
        thresholds=np.array(json.dumps(th.to_dict(), sort_keys=True)),
    )


def load_actions(path: str | os.PathLike) -> ActionRecord:
    """Read an action npz written by :func:`save_actions`; ValueError naming the file if malformed."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _KEYS if k not in z.files]
            if missing:
                raise ValueError(f"{path}: not an actions npz, missing key(s) {missing}")
            data = {k: z[k] for k in _KEYS}
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read actions npz ({exc})") from exc
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: cannot read actions npz ({exc})") from exc
    f, lat, rel = _check(data["frame_labels"], data["latent_labels"], data["rel_latent"], str(path))
    try:
        th = ActionThresholds.from_dict(json.loads(str(data["thresholds"])))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: bad thresholds entry ({exc})") from exc
    return ActionRecord(f, lat, rel, th)
