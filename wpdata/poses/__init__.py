"""Camera poses of clips: given ones read into a `PoseTrack` (clip npz, Sekai, ViPE, nerfstudio) or
estimated with pycolmap, interpolated to every frame, scale-normalised per clip, saved as npz."""

from wpdata.poses.accuracy import pose_errors, rotation_errors_deg
from wpdata.poses.estimate import PoseEstimationError, SfMConfig, estimate_poses, sample_frames
from wpdata.poses.given import load_given_poses
from wpdata.poses.interpolate import interpolate_K, interpolate_poses, max_gap
from wpdata.poses.scale import RULES, normalise_scale
from wpdata.poses.track import SOURCES, PoseTrack, load_track, save_track

__all__ = [
    "RULES",
    "SOURCES",
    "PoseEstimationError",
    "PoseTrack",
    "SfMConfig",
    "estimate_poses",
    "interpolate_K",
    "interpolate_poses",
    "load_given_poses",
    "load_track",
    "max_gap",
    "normalise_scale",
    "pose_errors",
    "rotation_errors_deg",
    "sample_frames",
    "save_track",
]
