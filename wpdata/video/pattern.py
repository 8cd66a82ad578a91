"""A test pattern whose frames say which frame they are, to check decoders, resampling and trims.

Top half: the frame index in binary, 8 black/white blocks (most significant bit left), which survive
lossy compression and chroma subsampling. Bottom half: a colour gradient moving one pixel per frame.
"""

from __future__ import annotations

import numpy as np

BITS = 8


def pattern_frames(num_frames: int, width: int = 64, height: int = 48) -> np.ndarray:
    """[T, H, W, 3] uint8 RGB frames with the index of each frame drawn into it (T <= 256, W >= 16)."""
    if not (0 < num_frames <= 2**BITS) or width < 2 * BITS or height < 4:
        raise ValueError(f"pattern needs 1..{2**BITS} frames and a size of at least {2 * BITS}x4")
    frames = np.zeros((num_frames, height, width, 3), np.uint8)
    block = width // BITS
    half = height // 2
    xs = np.arange(width)
    ys = np.arange(height - half)
    for i in range(num_frames):
        for b in range(BITS):
            if (i >> (BITS - 1 - b)) & 1:
                frames[i, :half, b * block : (b + 1) * block] = 255
        shifted = (xs + i) % width
        frames[i, half:, :, 0] = (shifted * 255 // max(width - 1, 1))[None, :]
        frames[i, half:, :, 1] = (ys * 255 // max(len(ys) - 1, 1))[:, None]
        frames[i, half:, :, 2] = 128
    return frames


def pattern_index(frame: np.ndarray) -> int:
    """Read back the index drawn by `pattern_frames` from a decoded [H, W, 3] (or gray [H, W]) frame."""
    gray = frame.astype(np.float32) if frame.ndim == 2 else frame.astype(np.float32).mean(axis=2)
    height, width = gray.shape
    block = width // BITS
    top = gray[height // 8 : height // 2 - height // 8]
    value = 0
    for b in range(BITS):
        cell = top[:, b * block + block // 4 : (b + 1) * block - block // 4]
        value = (value << 1) | int(cell.mean() > 127.5)
    return value
