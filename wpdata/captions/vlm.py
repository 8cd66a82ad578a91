"""Caption clips with a vision-language model through transformers (AutoProcessor + AutoModelForImageTextToText).

How frames reach the model (`VLMConfig.frame_mode`):
- "multi" (default): the N frames go in as N images of one user turn, in clip order, before the
  prompt. LLaVA(-1.5/-NeXT/-OneVision), Qwen2/2.5-VL, Idefics3/SmolVLM, Gemma 3 and InternVL
  processors all take several images per prompt this way.
- "grid": the frames are tiled row-major into one image (ceil(sqrt(N)) columns). For models trained
  on one image per prompt, or to spend fewer image tokens (one image's worth instead of N).
The prompt asks for the scene, its layout and the camera motion; the processor's chat template turns
it into the model's format. Generation is batched (`batch_size` clips per call, left padding so the
new tokens of every row start at the same position), greedy, and only the new tokens are decoded,
then `strip_boilerplate` tidies the text.

Errors: `.caption` raises (`VLMError` for a model failure, `ValueError` for frames that are not
[N, H, W, 3] uint8), so a pipeline turns one bad item into one failed row. `.caption_batch` validates
every item first, runs each batch, and when a batched call fails reruns that batch item by item;
by default (`return_exceptions=True`) an item that still fails gets its exception in its place in
the list, so one bad clip fails alone; with `return_exceptions=False` the first such exception is raised. Greedy outputs do not depend on the batch (the tests
check batch == one by one on the tiny model).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from wpdata.captions.clean import strip_boilerplate

__all__ = ["DEFAULT_PROMPT", "VLMCaptioner", "VLMConfig", "VLMError", "frame_grid"]

DEFAULT_PROMPT = (
    "These images are frames sampled in order from one video clip. Describe the clip in two or three "
    "sentences: the scene (place, main objects), its layout (what is where), and how the camera moves "
    "(forward, backward, sideways, turning, still)."
)
_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16, "auto": "auto"}


class VLMError(RuntimeError):
    """The VLM could not be loaded or failed on an item; the message says which model and why."""


@dataclass
class VLMConfig:
    """Which model, where it runs, and how clips are put to it."""

    model_path: str  # local folder or hub id
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...
    dtype: str = "float32"  # "float32" | "bfloat16" | "float16" | "auto"
    num_frames: int = 4  # frames sampled across the clip (see wpdata.captions.frames)
    max_new_tokens: int = 96
    batch_size: int = 4  # clips per generate call
    prompt: str = DEFAULT_PROMPT
    frame_mode: str = "multi"  # "multi" (one image per frame) | "grid" (frames tiled into one image)
    frame_size: int = 448  # longest side of the frames handed to the processor (caption_frames size)
    torch_threads: int | None = None  # set torch's (process-wide) CPU threads, e.g. a Ray stage's num_cpus

    def __post_init__(self) -> None:
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        if self.frame_mode not in ("multi", "grid"):
            raise ValueError(f"frame_mode must be 'multi' or 'grid', got {self.frame_mode!r}")
        for name in ("num_frames", "max_new_tokens", "batch_size", "frame_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def frame_grid(frames: np.ndarray) -> np.ndarray:
    """Frames [N, H, W, 3] tiled row-major into one image [rows * H, cols * W, 3] (cols = ceil(sqrt(N)))."""
    n, h, w, c = frames.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * h, cols * w, c), frames.dtype)
    for i, frame in enumerate(frames):
        r, k = divmod(i, cols)
        grid[r * h : (r + 1) * h, k * w : (k + 1) * w] = frame
    return grid


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0 or frames.dtype != np.uint8:
        raise ValueError(
            f"VLM frames must be [N, H, W, 3] uint8 with N >= 1, got {frames.shape} {frames.dtype}"
        )
    return frames


def _resolve_device(device: str) -> torch.device:
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise VLMError(f"VLM device {device!r} asked for but CUDA is not available on this machine")
    return dev


class VLMCaptioner:
    """Holds one VLM and its processor; `.caption(frames)` / `.caption_batch([...])` return cleaned captions."""

    def __init__(self, config: VLMConfig) -> None:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.config = config
        path = str(config.model_path)
        local = Path(path).expanduser()
        looks_local = local.is_absolute() or path.startswith((".", "~")) or path.count("/") > 1
        if looks_local and not local.is_dir():
            raise VLMError(f"VLM model folder {path} does not exist (a hub id looks like 'org/name')")
        self.device = _resolve_device(config.device)
        if config.torch_threads is not None:
            torch.set_num_threads(max(1, int(config.torch_threads)))
        try:
            self.processor = AutoProcessor.from_pretrained(path)
            self.model = AutoModelForImageTextToText.from_pretrained(path, dtype=_DTYPES[config.dtype])
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError... for a bad folder
            raise VLMError(f"cannot load VLM from {path}: {type(exc).__name__}: {exc}") from exc
        self.model.to(self.device).eval()
        self.tokenizer = getattr(self.processor, "tokenizer", None)
        if self.tokenizer is None:
            raise VLMError(f"the processor of {path} has no tokenizer")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.name = f"vlm:{path.rstrip('/').split('/')[-1]}"

    def _images(self, frames: np.ndarray) -> list[Image.Image]:
        if self.config.frame_mode == "grid":
            return [Image.fromarray(frame_grid(frames))]
        return [Image.fromarray(f) for f in frames]

    def _prompt(self, num_images: int) -> str:
        content = [{"type": "image"} for _ in range(num_images)] + [
            {"type": "text", "text": self.config.prompt}
        ]
        messages = [{"role": "user", "content": content}]
        return self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    @torch.inference_mode()
    def _generate(self, items: list[np.ndarray]) -> list[str]:
        """Cleaned captions of already-checked frame arrays, in one generate call."""
        images = [self._images(frames) for frames in items]
        texts = [self._prompt(len(imgs)) for imgs in images]
        inputs = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs and self.model.dtype.is_floating_point:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        out = self.model.generate(
            **inputs,
            max_new_tokens=self.config.max_new_tokens,
            do_sample=False,
            num_beams=1,
            pad_token_id=self.tokenizer.pad_token_id,
        )  # [B, S + new] int64
        new = out[:, inputs["input_ids"].shape[1] :]
        decoded = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return [strip_boilerplate(t) for t in decoded]

    def caption(self, frames: np.ndarray) -> str:
        """Caption of one clip's frames [N, H, W, 3] uint8 RGB; raises VLMError when the model fails."""
        frames = _check_frames(frames)
        try:
            return self._generate([frames])[0]
        except Exception as exc:
            raise VLMError(
                f"{self.name} failed on a clip of {len(frames)} frames: {type(exc).__name__}: {exc}"
            ) from exc

    def caption_batch(
        self, frames_list: Sequence[np.ndarray], return_exceptions: bool = True
    ) -> list[str | Exception]:
        """Captions of several clips, batched by `config.batch_size`; see the module docstring for failures."""
        results: list[str | Exception | None] = [None] * len(frames_list)
        good: list[tuple[int, np.ndarray]] = []
        for i, frames in enumerate(frames_list):
            try:
                good.append((i, _check_frames(frames)))
            except ValueError as exc:
                results[i] = exc
        bs = self.config.batch_size
        for start in range(0, len(good), bs):
            chunk = good[start : start + bs]
            try:
                for (i, _), text in zip(chunk, self._generate([f for _, f in chunk]), strict=True):
                    results[i] = text
            except Exception:  # rerun the batch one by one: only the items that fail alone fail
                for i, frames in chunk:
                    try:
                        results[i] = self.caption(frames)
                    except Exception as exc:
                        results[i] = exc
        if not return_exceptions:
            for r in results:
                if isinstance(r, Exception):
                    raise r
        return results  # type: ignore[return-value]
