"""From generated latents to an mp4 written while generation goes on.

- ``first_chunk_latents``: one first frame -> the clean first chunk. A causal VAE encodes a lone
  frame to ONE latent; the first chunk needs ``chunk_latents`` (4), so the frame is encoded as a static
  clip of ``1 + 4 (chunk_latents - 1)`` copies (latent 0 = the frame, latents 1..3 = a camera
  standing still), posterior mean, normalised into the DiT's latent space.
- ``StreamingDecoder``: decodes each new chunk as it arrives. The project's causal ``VideoVAE`` is
  decoded incrementally with one persistent ``CausalCache`` (latent 0 alone, then each chunk): the
  frames are those of decoding the whole sequence at once, without redoing the past. Any other
  ``VideoAutoencoder`` (e.g. a wrapped diffusers VAE) decodes the whole sequence so far every chunk
  and only the new frames are returned (already written frames are never revised). Without a VAE, a
  preview of the first three latent channels (one frame per latent, min-max scaled per chunk).
- ``Mp4Stream``: an open PyAV H.264 container frames are appended to, chunk by chunk; it is written
  to a hidden temporary file that replaces the final name only when closed without error
  (``manifests.atomic.atomic_path``). One encoder thread: same frames -> same bytes.
"""

from __future__ import annotations

from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import torch
from torch import Tensor

from manifests.atomic import atomic_path
from manifests.h264 import x264_options
from wpmodel.train.samples import latent_preview
from wpmodel.vae.causal_vae import VideoVAE
from wpmodel.vae.layers import CausalCache
from wpmodel.vae.samples import to_uint8


def _vae_device(vae: Any) -> torch.device:
    try:
        return next(vae.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def frames_for_latents(num_latents: int, temporal_compression: int = 4) -> int:
    """Video frames a causal VAE decodes from ``num_latents`` latents: 1 + tc (n - 1)."""
    return 0 if num_latents < 1 else 1 + temporal_compression * (num_latents - 1)


@torch.no_grad()
def first_chunk_latents(
    vae: Any, frame: np.ndarray, chunk_latents: int = 4, device: str | torch.device | None = None
) -> Tensor:
    """RGB frame [H, W, 3] uint8 -> the clean first chunk [1, chunk_latents, C, h, w] float32 (normalised)."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"first frame must be [H, W, 3] uint8, got {frame.shape} {frame.dtype}")
    sc = int(vae.spatial_compression)
    if frame.shape[0] % sc or frame.shape[1] % sc:
        raise ValueError(
            f"first frame {frame.shape[1]}x{frame.shape[0]} is not a multiple of {sc} (resize it)"
        )
    T = frames_for_latents(chunk_latents, int(vae.temporal_compression))
    img = torch.from_numpy(frame).to(_vae_device(vae)).permute(2, 0, 1).float() / 127.5 - 1.0  # [3, H, W]
    video = img[None, :, None].expand(1, 3, T, *img.shape[1:]).contiguous()  # [1, 3, T, H, W]
    z = vae.normalize(vae.encode(video).mode())  # [1, C, chunk, h, w]
    if z.shape[2] != chunk_latents:
        raise ValueError(f"the VAE encoded {T} frames to {z.shape[2]} latents, expected {chunk_latents}")
    out = z.permute(0, 2, 1, 3, 4).float().contiguous()
    return out if device is None else out.to(device)


class StreamingDecoder:
    """Decodes generated latents chunk by chunk into uint8 frames (see the module docstring)."""

    def __init__(self, vae: Any = None, preview_scale: int = 8) -> None:
        self.vae, self.preview_scale = vae, int(preview_scale)
        self.num_latents = 0  # latents decoded so far
        self.num_frames = 0  # frames returned so far
        self._cache = CausalCache()
        self._all: list[Tensor] = []  # every latent chunk (generic VAEs redecode the sequence)

    @torch.no_grad()
    def decode(self, latents: Tensor) -> np.ndarray:
        """The frames of the next latents [1, L, C, h, w] (normalised): [T_new, H, W, 3] uint8."""
        if latents.ndim != 5 or latents.shape[0] != 1 or latents.shape[1] < 1:
            raise ValueError(f"latents must be [1, L >= 1, C, h, w], got {list(latents.shape)}")
        first = self.num_latents == 0
        self.num_latents += latents.shape[1]
        if self.vae is None:
            frames = latent_preview(latents[0].cpu(), self.preview_scale)
            self.num_frames += len(frames)
            return frames
        z = self.vae.denormalize(
            latents.to(_vae_device(self.vae)).float().permute(0, 2, 1, 3, 4)
        )  # [1, C, L, h, w]
        if isinstance(self.vae, VideoVAE):
            parts = [z[:, :, :1], z[:, :, 1:]] if first else [z]
            video = torch.cat([self.vae.decoder(p, self._cache) for p in parts if p.shape[2]], dim=2)
            frames = to_uint8(video[0])
        else:
            self._all.append(z)
            frames = to_uint8(self.vae.decode(torch.cat(self._all, dim=2))[0])[self.num_frames :]
        self.num_frames += len(frames)
        return frames


class Mp4Stream:
    """``with Mp4Stream(path, fps) as mp4: mp4.write(frames)`` -- H.264 yuv420p, atomic on close."""

    def __init__(self, path: str | Path, fps: float = 24.0) -> None:
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        if self.fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.num_frames = 0
        self._stack: ExitStack | None = None
        self._container: Any = None
        self._stream: Any = None

    def __enter__(self) -> Mp4Stream:
        self._stack = ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path, suffix=".mp4"))
        self._container = self._stack.enter_context(av.open(str(tmp), "w", format="mp4"))
        return self

    def write(self, frames: np.ndarray) -> None:
        """Append frames [T, H, W, 3] uint8 (padded to even size; every call the same size)."""
        if self._container is None:
            raise RuntimeError(f"{self.path}: write outside the 'with' block")
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
            raise ValueError(
                f"{self.path}: frames must be [T, H, W, 3] uint8, got {frames.shape} {frames.dtype}"
            )
        h, w = frames.shape[1:3]
        frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        if self._stream is None:
            self._stream = self._container.add_stream("libx264", rate=self.fps)
            self._stream.width, self._stream.height = frames.shape[2], frames.shape[1]
            self._stream.pix_fmt = "yuv420p"
            self._stream.codec_context.thread_count = 1  # one thread: same frames -> same bytes
            self._stream.options = x264_options()
        elif (frames.shape[2], frames.shape[1]) != (self._stream.width, self._stream.height):
            raise ValueError(f"{self.path}: frame size {w}x{h} differs from the stream's")
        for f in frames:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
            self._container.mux(self._stream.encode(vf))
        self.num_frames += len(frames)

    def __exit__(self, exc_type, exc, tb) -> bool:
        """Flush and close; rename onto ``path`` only when no error happened (else the temp file goes)."""
        stack, self._stack = self._stack, None
        if stack is None:
            return False
        if exc_type is None:
            try:
                if self._stream is None:
                    raise ValueError(f"{self.path}: no frames were written")
                self._container.mux(self._stream.encode(None))  # flush the encoder
            except BaseException as err:
                self._container = None
                stack.__exit__(type(err), err, err.__traceback__)  # closes, removes the temp file
                raise
        self._container = None
        return bool(stack.__exit__(exc_type, exc, tb))
