"""Revisit-heavy camera trajectories inside a reconstructed scene (cameras + points), user trajectory
files, revisit / clearance statistics and a top-down plot."""

from wpdata.camera_paths.generate import PathLimits, Trajectory, evaluate_trajectory, generate_trajectory
from wpdata.camera_paths.kinds import TRAJECTORY_KINDS
from wpdata.camera_paths.plot import plot_trajectory
from wpdata.camera_paths.reachable import PointClearance, Reachable, reachable_region
from wpdata.camera_paths.revisit import revisit_fraction, revisit_mask
from wpdata.camera_paths.user_file import load_user_trajectory, read_trajectory_file, resample_trajectory

__all__ = [
    "TRAJECTORY_KINDS",
    "PathLimits",
    "PointClearance",
    "Reachable",
    "Trajectory",
    "evaluate_trajectory",
    "generate_trajectory",
    "load_user_trajectory",
    "plot_trajectory",
    "reachable_region",
    "read_trajectory_file",
    "resample_trajectory",
    "revisit_fraction",
    "revisit_mask",
]
