"""Camera geometry in the project convention (OpenCV c2w 4x4, pixel K) and the format edges.

Readers return float64 OpenCV camera-to-world poses; writers convert back to each format's own
convention (nerfstudio / Sekai OpenGL, COLMAP w2c quaternions, TUM, KITTI, ViPE npz).
"""

from .align import align_trajectory, apply_sim3, umeyama
from .association import associate, matching_time_indices
from .colmap import find_colmap_model, read_colmap_model, write_colmap_binary, write_colmap_text
from .colmap_model import (
    CAMERA_MODELS,
    ColmapCamera,
    ColmapImage,
    ColmapModel,
    c2w_from_colmap,
    colmap_from_c2w,
    make_camera,
)
from .convention import (
    FLIP_YZ,
    as_se3,
    invert_se3,
    look_at,
    make_se3,
    opencv_to_opengl,
    opengl_to_opencv,
    recenter,
    relative_poses,
)
from .euroc import read_euroc_csv
from .intrinsics import K_params, focal_from_fov, make_K, scale_K
from .kitti import read_kitti, write_kitti
from .metrics import ape_errors, ate, error_statistics, pairs_by_frames, pairs_by_path, rpe, rpe_errors
from .nerfstudio import NerfstudioFrame, NerfstudioScene, read_nerfstudio, write_nerfstudio
from .quaternion import R_to_quat_wxyz, quat_wxyz_to_R, quat_wxyz_to_xyzw, quat_xyzw_to_wxyz
from .sekai import read_sekai_npz, write_sekai_npz
from .tum import read_tum, write_tum
from .vipe import read_vipe, write_vipe

__all__ = [
    "CAMERA_MODELS",
    "FLIP_YZ",
    "ColmapCamera",
    "ColmapImage",
    "ColmapModel",
    "K_params",
    "NerfstudioFrame",
    "NerfstudioScene",
    "R_to_quat_wxyz",
    "align_trajectory",
    "apply_sim3",
    "ape_errors",
    "as_se3",
    "associate",
    "ate",
    "c2w_from_colmap",
    "colmap_from_c2w",
    "error_statistics",
    "find_colmap_model",
    "focal_from_fov",
    "invert_se3",
    "look_at",
    "make_K",
    "make_camera",
    "make_se3",
    "matching_time_indices",
    "opencv_to_opengl",
    "opengl_to_opencv",
    "pairs_by_frames",
    "pairs_by_path",
    "quat_wxyz_to_R",
    "quat_wxyz_to_xyzw",
    "quat_xyzw_to_wxyz",
    "read_colmap_model",
    "read_euroc_csv",
    "read_kitti",
    "read_nerfstudio",
    "read_sekai_npz",
    "read_tum",
    "read_vipe",
    "recenter",
    "relative_poses",
    "rpe",
    "rpe_errors",
    "scale_K",
    "umeyama",
    "write_colmap_binary",
    "write_colmap_text",
    "write_kitti",
    "write_nerfstudio",
    "write_sekai_npz",
    "write_tum",
    "write_vipe",
]
