"""Per-clip work of curation that is not a filter: Sekai names, frame timing checks, export to the
training target (crop + resize + H.264) and slicing the poses that came with a source to a clip."""

from wpdata.clips.export import ExportResult, crop_resize_K, export_clip, fit_crop, parse_size
from wpdata.clips.names import SekaiName, parse_sekai_name
from wpdata.clips.poses import SourcePoses, read_source_poses, slice_poses, write_clip_poses
from wpdata.clips.timing import keyframe_indices, pts_irregularity

__all__ = [
    "ExportResult",
    "SekaiName",
    "SourcePoses",
    "crop_resize_K",
    "export_clip",
    "fit_crop",
    "keyframe_indices",
    "parse_sekai_name",
    "parse_size",
    "pts_irregularity",
    "read_source_poses",
    "slice_poses",
    "write_clip_poses",
]
