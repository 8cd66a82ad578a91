"""COLMAP scene folders: a sparse model (text or binary) plus an image folder (``images`` or ``images_N``)."""

from __future__ import annotations

import os
from pathlib import Path

from wpdata.geometry import ColmapModel, find_colmap_model, read_colmap_model

from .data import SceneData
from .errors import SceneError
from .frames import Frame, scene_from_frames


def image_dir(root: Path, factor: int) -> tuple[Path, bool]:
    """(folder, prescaled): ``images_N`` when it exists for factor N > 1, else ``images`` (resized on load)."""
    if factor > 1 and (root / f"images_{factor}").is_dir():
        return root / f"images_{factor}", True
    if (root / "images").is_dir():
        return root / "images", False
    raise SceneError(f"{root}: no images/ folder (nor images_{factor}/)")


def colmap_frames(model: ColmapModel, folder: Path) -> tuple[list[Frame], list[str]]:
    """Frames of the model's images sorted by name, and the names whose file is absent."""
    frames, missing = [], []
    for im in sorted(model.images, key=lambda im: im.name):
        path = folder / im.name
        if not path.is_file():
            missing.append(im.name)
            continue
        cam = model.cameras[im.camera_id]
        frames.append(Frame(path, im.c2w, cam.K(), cam.width, cam.height, cam.distortion()))
    return frames, missing


def load_colmap_model(root: Path) -> ColmapModel:
    """The scene's COLMAP model, with reader errors turned into SceneError."""
    try:
        model = read_colmap_model(find_colmap_model(root))
        model.validate()
    except (OSError, ValueError) as e:
        raise SceneError(f"{root}: bad COLMAP model ({e})") from None
    return model


def read_colmap_scene(path: str | os.PathLike, factor: int = 1, test_every: int = 8) -> SceneData:
    """A COLMAP scene (model under the folder, images beside it) as SceneData with its sparse points."""
    root = Path(path)
    model = load_colmap_model(root)
    folder, prescaled = image_dir(root, factor)
    frames, missing = colmap_frames(model, folder)
    return scene_from_frames(
        frames, factor, "colmap", root, prescaled, len(model.images), len(missing),
        points=model.xyz, point_colors=model.rgb, test_every=test_every,
    )  # fmt: skip
