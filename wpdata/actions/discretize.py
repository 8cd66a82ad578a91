"""Discrete WorldPlay actions (81 classes, ``manifests.actions``) from OpenCV camera-to-world poses.

The rule is the HY-WorldPlay release's (``trainer/dataset/ar_camera_hunyuan_w_mem_dataset.py``,
on-the-fly branch, and ``pose_to_input`` at inference), which we read and follow exactly:

- latent i uses video frame 4i; ``rel_i = inv(c2w[4(i-1)]) @ c2w[4i]``; latent 0 gets label 0;
- translation ``t = rel[:3, 3]`` counts only if ``|t| > translation``; then with the angles (degrees,
  ``arccos`` of the clipped unit vector) of t to +z and +x: to +z below the forward cone -> W, above
  the backward cone -> S; to +x below the forward cone -> D, above the backward cone -> A;
- rotation: ``scipy Rotation.from_matrix(rel[:3, :3]).as_euler('xyz', degrees=True)``; y above
  +rotation_deg -> right, below -rotation_deg -> left; x above -> up, below -> down (independent of
  the translation test).

Signs, checked in the release and in our tests: the release's inference path builder turns "right" into
``c2w @ rot_y(+a)`` and "up" into ``c2w @ rot_x(+a)`` in the OpenCV camera (x right, y down, z forward).
``rot_x(+a)`` maps the optical axis (0, 0, 1) to (0, -sin a, cos a): it gains a -y (image-up)
component, so a positive x angle is looking up; ``rot_y(+a)`` maps it to (sin a, 0, cos a): towards
+x, turning right. tests/wpdata/actions/test_discretize.py builds look-up / turn-right cameras with
``look_at`` and with the synthetic world's ``pose_from_yaw_pitch`` (z-up) and checks these labels.

Per video frame (our rule; the release has none): frame t >= 4 gets the label of
``inv(c2w[t-4]) @ c2w[t]`` (the same 4-frame span and thresholds as a latent step, so
``frame_actions(c2w)[4i] == latent_actions(c2w)[i]``); frame 0 gets 0 like latent 0; frames 1..3, which
belong to latent 1, get latent 1's label (0 if the clip has no latent 1).
"""

from __future__ import annotations

from itertools import product

import numpy as np
from scipy.spatial.transform import Rotation

from manifests.actions import MOVE_KEYS, NUM_ACTIONS, NUM_ROT, VIEW_KEYS, keys_to_label
from manifests.layout import FRAMES_PER_LATENT, num_latents
from wpdata.actions.thresholds import ActionThresholds
from wpdata.geometry import as_se3, invert_se3

__all__ = [
    "ActionThresholds",
    "relative_poses",
    "latent_relative_poses",
    "poses_to_labels",
    "pose_to_label",
    "latent_actions",
    "frame_actions",
    "action_histogram",
]


def _table(keys: tuple[str, ...], part: int) -> np.ndarray:
    """[16] int64: index (trans or rot) of each subset of 4 keys, bit k set = keys[k] pressed."""
    out = np.zeros(16, np.int64)
    for bits in product((0, 1), repeat=4):
        code = sum(b << k for k, b in enumerate(bits))
        out[code] = divmod(keys_to_label([k for k, b in zip(keys, bits, strict=True) if b]), NUM_ROT)[part]
    return out


_TRANS_OF = _table(MOVE_KEYS, 0)  # MOVE_KEYS = (W, S, D, A)
_ROT_OF = _table(VIEW_KEYS, 1)  # VIEW_KEYS = (right, left, up, down)


def _poses(c2w: np.ndarray, name: str = "c2w") -> np.ndarray:
    c2w = as_se3(c2w, name)  # [T, 4, 4] float64
    if c2w.ndim != 3 or len(c2w) == 0:
        raise ValueError(f"{name} must be a non-empty [T, 4, 4] array, got shape {c2w.shape}")
    return c2w


def relative_poses(c2w: np.ndarray, stride: int = 1) -> np.ndarray:
    """``rel[t] = inv(c2w[t - stride]) @ c2w[t]`` for t >= stride, identity before."""  # -> [T, 4, 4]
    c2w = _poses(c2w)  # [T, 4, 4]
    if int(stride) < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    s = int(stride)
    rel = np.broadcast_to(np.eye(4), c2w.shape).copy()
    if len(c2w) > s:
        rel[s:] = invert_se3(c2w[:-s]) @ c2w[s:]
    return rel


def latent_relative_poses(c2w: np.ndarray) -> np.ndarray:
    """Relative pose of each latent step (frame 4(i-1) -> 4i); identity for latent 0."""  # -> [L, 4, 4]
    c2w = _poses(c2w)
    return relative_poses(c2w[::FRAMES_PER_LATENT][: num_latents(len(c2w))], 1)


def poses_to_labels(rel: np.ndarray, th: ActionThresholds = ActionThresholds()) -> np.ndarray:
    """81-class labels of relative poses [N, 4, 4] (the release rule; see the module docstring)."""
    rel = _poses(rel, "rel")  # [N, 4, 4]
    t = rel[:, :3, 3]  # [N, 3]
    norm = np.linalg.norm(t, axis=1)  # [N]
    moving = norm > th.translation
    unit = np.divide(t, norm[:, None], out=np.zeros_like(t), where=moving[:, None])
    ang = np.degrees(np.arccos(np.clip(unit, -1.0, 1.0)))  # [N, 3] angle to +x, +y, +z
    w = moving & (ang[:, 2] < th.forward_cone_deg)
    s = moving & (ang[:, 2] > th.backward_cone_deg)
    d = moving & (ang[:, 0] < th.forward_cone_deg)
    a = moving & (ang[:, 0] > th.backward_cone_deg)
    euler = Rotation.from_matrix(rel[:, :3, :3]).as_euler("xyz", degrees=True)  # [N, 3]
    right, left = euler[:, 1] > th.rotation_deg, euler[:, 1] < -th.rotation_deg
    up, down = euler[:, 0] > th.rotation_deg, euler[:, 0] < -th.rotation_deg
    trans = _TRANS_OF[w * 1 + s * 2 + d * 4 + a * 8]
    rot = _ROT_OF[right * 1 + left * 2 + up * 4 + down * 8]
    return (trans * NUM_ROT + rot).astype(np.int16)


def pose_to_label(rel: np.ndarray, th: ActionThresholds = ActionThresholds()) -> int:
    """81-class label of one relative pose [4, 4]."""
    rel = np.asarray(rel, dtype=np.float64)
    if rel.shape != (4, 4):
        raise ValueError(f"pose_to_label takes one [4, 4] relative pose, got shape {rel.shape}")
    return int(poses_to_labels(rel[None], th)[0])


def latent_actions(c2w: np.ndarray, th: ActionThresholds = ActionThresholds()) -> np.ndarray:
    """Label per latent frame of a clip's poses [T, 4, 4] (latent 0 -> 0)."""  # -> [num_latents(T)] int16
    labels = poses_to_labels(latent_relative_poses(c2w), th)
    labels[0] = 0
    return labels


def frame_actions(c2w: np.ndarray, th: ActionThresholds = ActionThresholds()) -> np.ndarray:
    """Label per video frame: the 4-frame relative pose ending at it (frames 0..3: see module doc)."""
    c2w = _poses(c2w)  # [T, 4, 4]
    labels = poses_to_labels(relative_poses(c2w, FRAMES_PER_LATENT), th)  # [T] int16
    labels[0] = 0
    labels[1:FRAMES_PER_LATENT] = labels[FRAMES_PER_LATENT] if len(c2w) > FRAMES_PER_LATENT else 0
    return labels


def action_histogram(labels: np.ndarray) -> np.ndarray:
    """Count of each of the 81 labels."""  # [N] int -> [81] int32
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"labels must be a 1-d integer array, got {labels.dtype} {list(labels.shape)}")
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_ACTIONS):
        raise ValueError(f"labels must be in [0, {NUM_ACTIONS}), got min {labels.min()}, max {labels.max()}")
    return np.bincount(labels.astype(np.int64), minlength=NUM_ACTIONS).astype(np.int32)
