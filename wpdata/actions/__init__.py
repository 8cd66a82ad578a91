"""Discrete WorldPlay actions (81 classes) from camera poses, key scripts and the paths that perform
them, and the per-clip action npz.

Modules: ``thresholds`` (ActionThresholds, release defaults), ``discretize`` (the release's pose ->
label rule per latent and per video frame), ``keys`` (key script grammar, trajectory_from_labels),
``store`` (ActionRecord, actions_from_poses, save_actions / load_actions).
"""

from .discretize import (
    action_histogram,
    frame_actions,
    latent_actions,
    latent_relative_poses,
    pose_to_label,
    poses_to_labels,
    relative_poses,
)
from .keys import format_key_script, parse_key_script, trajectory_from_labels
from .store import ActionRecord, actions_from_poses, load_actions, save_actions
from .thresholds import ActionThresholds

__all__ = [
    "ActionRecord",
    "ActionThresholds",
    "action_histogram",
    "actions_from_poses",
    "format_key_script",
    "frame_actions",
    "latent_actions",
    "latent_relative_poses",
    "load_actions",
    "parse_key_script",
    "pose_to_label",
    "poses_to_labels",
    "relative_poses",
    "save_actions",
    "trajectory_from_labels",
]
