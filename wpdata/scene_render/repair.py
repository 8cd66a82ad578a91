"""Hole repair: a ``Fixer`` fills the hole pixels of a rendered frame.

``InpaintFixer`` (default) is OpenCV's inpainting (Telea or Navier-Stokes). ``DiffusersFixer`` runs
an image-to-image diffusion pipeline loaded from a LOCAL folder (``AutoPipelineForImage2Image``), the
way Difix3D+ cleans up splat renders in one step; a pipeline whose call takes ``ref_image`` also gets
the reference view. Only hole pixels are replaced, so what the scene rendered stays exact.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

__all__ = ["Fixer", "InpaintFixer", "DiffusersFixer", "repair_frames"]


class Fixer(Protocol):
    """Fills holes: frame uint8 [H, W, 3], holes bool [H, W], optional reference uint8 [H, W, 3] -> uint8 [H, W, 3]."""

    def __call__(
        self, frame: np.ndarray, holes: np.ndarray, reference: np.ndarray | None = None
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class InpaintFixer:
    """cv2.inpaint over the hole mask (``method`` "telea" or "ns"; ``radius`` in pixels)."""

    radius: float = 3.0
    method: str = "telea"

    def __call__(
        self, frame: np.ndarray, holes: np.ndarray, reference: np.ndarray | None = None
    ) -> np.ndarray:
        """Inpainted copy of frame [H, W, 3] uint8."""
        flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[self.method]
        mask = np.asarray(holes, np.uint8) * 255  # [H, W]
        return cv2.inpaint(np.ascontiguousarray(frame), mask, self.radius, flag)


class DiffusersFixer:
    """A diffusers image-to-image pipeline from a local folder (Difix3D+ style; loaded on first use, seeded)."""

    def __init__(
        self, path: str, prompt: str = "remove degradation", strength: float = 0.5, num_inference_steps: int = 1,
        guidance_scale: float = 0.0, device: str = "cpu", seed: int = 0,
    ) -> None:  # fmt: skip
        self.path, self.prompt, self.strength, self.seed = path, prompt, strength, seed
        self.steps, self.guidance, self.device = num_inference_steps, guidance_scale, device
        self._pipe = None

    def _pipeline(self):
        if self._pipe is None:
            from diffusers import AutoPipelineForImage2Image

            pipe = AutoPipelineForImage2Image.from_pretrained(self.path, local_files_only=True)
            pipe.set_progress_bar_config(disable=True)
            self._pipe = pipe.to(self.device)
        return self._pipe

    def __call__(
        self, frame: np.ndarray, holes: np.ndarray, reference: np.ndarray | None = None
    ) -> np.ndarray:
        """The pipeline's output for frame [H, W, 3] uint8, pasted into the hole pixels only."""
        import torch
        from PIL import Image

        pipe = self._pipeline()
        kwargs = {
            "prompt": self.prompt, "image": Image.fromarray(frame), "strength": self.strength,
            "num_inference_steps": self.steps, "guidance_scale": self.guidance, "output_type": "np",
            "generator": torch.Generator(self.device).manual_seed(self.seed),  # same frame, same repair
        }  # fmt: skip
        if reference is not None and "ref_image" in inspect.signature(pipe.__call__).parameters:
            kwargs["ref_image"] = Image.fromarray(reference)
        out = np.asarray(pipe(**kwargs).images[0], np.float32)  # [h, w, 3] in [0, 1]
        out = cv2.resize(out, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        fixed = frame.copy()
        fixed[holes] = np.clip(out[holes] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return fixed


def repair_frames(
    frames: np.ndarray, holes: np.ndarray, fixer: Fixer, repair_above: float = 0.002,
    references: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Repair frames [T, H, W, 3] whose hole share (holes [T, H, W]) exceeds ``repair_above``: (frames, repaired [T] bool)."""
    out = frames.copy()
    share = holes.reshape(len(holes), -1).mean(axis=1)  # [T]
    repaired = share > repair_above
    for t in np.flatnonzero(repaired):
        out[t] = fixer(frames[t], holes[t], None if references is None else references[t])
    return out, repaired
