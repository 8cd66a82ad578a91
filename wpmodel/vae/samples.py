"""Reconstruction samples written during training: a PNG grid and a side-by-side mp4 (PyAV)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image
from torch import Tensor

from manifests.atomic import atomic_path
from manifests.h264 import x264_options


def to_uint8(video: Tensor) -> np.ndarray:
    """[3, T, H, W] in [-1, 1] -> [T, H, W, 3] uint8."""
    v = ((video.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte()
    return v.permute(1, 2, 3, 0).cpu().numpy()


def side_by_side(original: Tensor, recon: Tensor) -> np.ndarray:
    """[T, H, 2W, 3] uint8: original left, reconstruction right (both [3, T, H, W] in [-1, 1])."""
    return np.concatenate([to_uint8(original), to_uint8(recon)], axis=2)


def write_png_grid(path: str | Path, frames: np.ndarray, max_frames: int = 8) -> Path:
    """Frames [T, H, W, 3] uint8 (evenly subsampled to ``max_frames``) stacked vertically, as PNG."""
    idx = np.unique(np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int))
    grid = np.concatenate(list(frames[idx]), axis=0)
    with atomic_path(path, suffix=".png") as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")
    return Path(path)


def write_mp4(path: str | Path, frames: np.ndarray, fps: int = 8) -> Path:
    """Frames [T, H, W, 3] uint8 as H.264 yuv420p (padded to even size), written atomically."""
    t, h, w, _ = frames.shape
    frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    with atomic_path(path, suffix=".mp4") as tmp:
        with av.open(str(tmp), "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
            stream.codec_context.thread_count = 1  # one thread: same frames -> same bytes
            stream.options = x264_options()
            for f in frames:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    return Path(path)


def write_reconstruction(out_dir: str | Path, step: int, original: Tensor, recon: Tensor) -> list[Path]:
    """``out_dir``/step_%08d.png and .mp4 comparing ``original`` and ``recon`` [3, T, H, W]."""
    frames = side_by_side(original, recon)
    stem = Path(out_dir) / f"step_{step:08d}"
    return [write_png_grid(stem.with_suffix(".png"), frames), write_mp4(stem.with_suffix(".mp4"), frames)]
