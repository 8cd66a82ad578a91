"""Synthetic worlds with exact ground truth: textured-quad worlds (z up), an exact CPU renderer,
seeded camera trajectories (OpenCV c2w), DL3DV scene folders, Sekai-style clips and a labelled
defects set. Everything is deterministic by seed.
"""

from wpdata.synth.cameras import axis_angle_to_R, intrinsics, pose_from_yaw_pitch, project, yaw_pitch_of
from wpdata.synth.clips import clip_stem, render_frames, write_sekai_clip
from wpdata.synth.defects import DEFECT_CLASSES, LABELS_SCHEMA, make_defects_set
from wpdata.synth.demo_world import DEMO_SCALES, make_demo_world
from wpdata.synth.layouts import WORLD_KINDS, make_world
from wpdata.synth.render import NEAR, render
from wpdata.synth.scene_folder import sample_surface_points, write_dl3dv_scene
from wpdata.synth.textures import TEXTURE_MAKERS
from wpdata.synth.trajectories import (
    EYE_HEIGHT,
    TRAJECTORIES,
    add_shake,
    drone,
    look_around,
    loop,
    orbit,
    out_and_back,
    static,
    walking,
)
from wpdata.synth.world import Box, Quad, World

__all__ = [
    "DEFECT_CLASSES",
    "DEMO_SCALES",
    "EYE_HEIGHT",
    "LABELS_SCHEMA",
    "NEAR",
    "TEXTURE_MAKERS",
    "TRAJECTORIES",
    "WORLD_KINDS",
    "Box",
    "Quad",
    "World",
    "add_shake",
    "axis_angle_to_R",
    "clip_stem",
    "drone",
    "intrinsics",
    "look_around",
    "loop",
    "make_defects_set",
    "make_demo_world",
    "make_world",
    "orbit",
    "out_and_back",
    "pose_from_yaw_pitch",
    "project",
    "render",
    "render_frames",
    "sample_surface_points",
    "static",
    "walking",
    "write_dl3dv_scene",
    "write_sekai_clip",
    "yaw_pitch_of",
]
