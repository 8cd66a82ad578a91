"""Rendering along a trajectory (caller-supplied renderer), hole measurement and repair, and writing
the render's files and ``renders`` row."""

from wpdata.scene_render.holes import hole_fractions, hole_masks
from wpdata.scene_render.render import RenderFn, render_trajectory
from wpdata.scene_render.repair import DiffusersFixer, Fixer, InpaintFixer, repair_frames
from wpdata.scene_render.write import TOO_MANY_HOLES, RenderLimits, write_render

__all__ = [
    "TOO_MANY_HOLES",
    "DiffusersFixer",
    "Fixer",
    "InpaintFixer",
    "RenderFn",
    "RenderLimits",
    "hole_fractions",
    "hole_masks",
    "render_trajectory",
    "repair_frames",
    "write_render",
]
