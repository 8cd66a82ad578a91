"""Multi-view scenes for reconstruction: DL3DV / nerfstudio / COLMAP readers into `SceneData`
(OpenCV c2w, pixel K at a downscale factor), validation, normalisation and the train/test split.
"""

from .data import SceneData
from .errors import SceneError
from .images import load_images, read_image
from .load import detect_format, load_scene
from .normalize import denormalize_c2w, normalize_scene, similarity_from_cameras
from .read_colmap import read_colmap_scene
from .read_dl3dv import read_dl3dv
from .read_nerfstudio import read_nerfstudio_scene
from .split import split_every
from .validate import validate_scene

__all__ = [
    "SceneData",
    "SceneError",
    "denormalize_c2w",
    "detect_format",
    "load_images",
    "load_scene",
    "normalize_scene",
    "read_colmap_scene",
    "read_dl3dv",
    "read_image",
    "read_nerfstudio_scene",
    "similarity_from_cameras",
    "split_every",
    "validate_scene",
]
