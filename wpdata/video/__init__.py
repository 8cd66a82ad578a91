"""Video IO with PyAV: probe, decode, encode, trim; image folders decode like videos.

Every failure raises `VideoError` with a message naming the file and the problem.
"""

from wpdata.video.decode import decode_frames, iter_frames
from wpdata.video.encode import write_mp4
from wpdata.video.errors import VideoError
from wpdata.video.images import iter_image_frames, list_image_files, probe_image_sequence
from wpdata.video.probe import VideoInfo, probe
from wpdata.video.trim import is_conformant, trim

__all__ = [
    "VideoError",
    "VideoInfo",
    "decode_frames",
    "is_conformant",
    "iter_frames",
    "iter_image_frames",
    "list_image_files",
    "probe",
    "probe_image_sequence",
    "trim",
    "write_mp4",
]
