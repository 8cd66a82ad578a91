"""The stage of latent pre-encoding: one shard sample's frames -> VAE latents -> ``<sample_key>.safetensors``.

Per sample: decode frames ``[start, start + 4 (L - 1) + 1)`` of the item's mp4 at its own size (L =
``num_latents(window_len)``: the causal VAE encodes ``1 + 4 k`` frames, so a clip of 23 frames gives the
latents of its first 21, exactly the ``num_latents(T)`` latents its actions describe), map to [-1, 1],
encode, take the posterior mode, normalise with the VAE's shift / scale, and store the latents
time-major, ``latent [L, C, h, w]`` with ``layout: TCHW`` in the metadata (``wpdata.shards.latent_file``;
the row's ``latent_shape`` stays ``[C, L, h, w]``), in the configured dtype, plus ``caption_embedding
[D]`` float32 (from the annotation's ``caption_embedding_path``, when it has one).

Determinism: each sample is encoded alone (batch dimension 1) whatever batch Ray hands the worker,
because a convolution's floating-point result may depend on the batch it runs in and a sample's bytes
must not depend on how Ray grouped samples; on CUDA, cuDNN runs deterministic kernels. The
metadata is ``layout`` and ``wp_latent`` (canonical JSON: vae, vae_hash, scaling / shift, dtype,
window), written with sorted keys by ``latent_safetensors`` (``safetensors.torch.save`` keeps metadata
in a hash map whose key order changes from process to process: two keys, other bytes every run).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from manifests.atomic import atomic_write_bytes
from manifests.layout import FRAMES_PER_LATENT, num_latents
from pipelines.jobs.shard_config import LatentsConfig
from pipelines.runtime import Stage
from wpdata.shards import json_bytes, latent_safetensors, resolve_in_root
from wpdata.video import decode_frames

LATENTS_SUBDIR = "latents"
METADATA_KEY = "wp_latent"
TORCH_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


@dataclass(frozen=True)
class LatentTask:
    """What the stage needs to encode one sample (manifest paths relative to ``<root>/manifests``)."""

    sample_key: str
    item_id: str
    video_path: str
    window_start: int  # video frame in the item
    window_len: int  # video frames of the sample
    windowed: bool  # False: the whole item
    width: int | None  # as annotated; the decoded video must match
    height: int | None
    caption_embedding_path: str | None


def latent_file(out_dir: str | Path, sample_key: str) -> Path:
    """``<out>/latents/<sample_key>.safetensors``."""
    return Path(out_dir) / LATENTS_SUBDIR / f"{sample_key}.safetensors"


def vae_identity(vae_path: str | Path) -> tuple[str, str]:
    """(name, sha256) of a VAE folder: ``<folder>:<_class_name>`` and a hash of its config and
    safetensors weights; a folder that is missing or unreadable gets ``missing:...`` (the stage's setup
    then fails every sample with the reason)."""
    p = Path(vae_path)
    try:
        cls = json.loads((p / "config.json").read_text(encoding="utf-8")).get("_class_name") or "VideoVAE"
    except (OSError, ValueError):
        return f"{p.name}:?", f"missing:{p}"
    h = hashlib.sha256()
    for f in [p / "config.json", *sorted(p.rglob("*.safetensors"))]:
        h.update(f.relative_to(p).as_posix().encode() + b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return f"{p.name}:{cls}", h.hexdigest()


def load_any_vae(path: str | Path, kind: str, device: str) -> Any:
    """The VAE of ``path`` on ``device`` in eval mode: ``project`` (wpmodel VideoVAE folder),
    ``diffusers`` (a local diffusers video VAE) or ``auto`` (by config.json's ``_class_name``)."""
    from wpmodel.vae import load_pretrained_vae, load_vae

    if kind == "auto":
        cfg = Path(path) / "config.json"
        if not cfg.is_file():
            raise FileNotFoundError(f"{cfg}: missing (not a VAE folder)")
        try:
            cls = json.loads(cfg.read_text(encoding="utf-8")).get("_class_name", "VideoVAE")
        except ValueError as exc:
            raise ValueError(f"{cfg}: not valid JSON ({exc})") from exc
        kind = "project" if cls == "VideoVAE" else "diffusers"
    vae = load_vae(path, device=device) if kind == "project" else load_pretrained_vae(path, device=device)
    vae.eval().requires_grad_(False)
    return vae


def _plain(v: Any) -> Any:
    """A VAE's shift / scale (float or per-channel tensor) as JSON."""
    if isinstance(v, torch.Tensor):
        flat = v.detach().float().cpu().reshape(-1).tolist()
        return flat[0] if len(flat) == 1 else flat
    return float(v)


def latent_bytes(latent: torch.Tensor, caption_embedding: np.ndarray | None, meta: dict[str, Any]) -> bytes:
    """The ``latent.safetensors`` bytes of ``latent`` [C, L, h, w]: stored time-major [L, C, h, w]
    (``wpdata.shards.latent_file``), ``caption_embedding`` [D] float32."""
    bf16 = latent.dtype == torch.bfloat16
    lat = latent.detach().cpu().contiguous()
    arr = lat.view(torch.int16).numpy() if bf16 else lat.numpy()  # [C, L, h, w]
    return latent_safetensors(
        arr, caption_embedding, {METADATA_KEY: json_bytes(meta).decode()}, bfloat16=bf16
    )


class EncodeLatentsStage(Stage):
    """Encodes each ``latents`` row's sample and writes its file (``latents`` row in, row out)."""

    name = "encode_latents"

    def __init__(
        self,
        tasks: dict[str, LatentTask],
        root: str | Path,
        out_dir: str | Path,
        cfg: LatentsConfig,
        vae_name: str,
        vae_hash: str,
        extra_roots: Sequence[str] = (),
    ) -> None:
        self.tasks, self.cfg = tasks, cfg
        self.root, self.out_dir, self.extra_roots = str(root), str(out_dir), tuple(extra_roots)
        self.vae_name, self.vae_hash = vae_name, vae_hash
        self.num_gpus, self.num_cpus = cfg.num_gpus, cfg.num_cpus
        self.batch_size, self.concurrency = int(cfg.batch_size), cfg.workers
        self.vae: Any = None
        self.device = "cpu"
        self._encode_kw: dict[str, int] = {}

    def setup(self) -> None:
        """Load the VAE once per worker on the configured device."""
        dev = self.cfg.device
        if dev == "auto":
            dev = "cuda" if self.cfg.num_gpus and torch.cuda.is_available() else "cpu"
        if dev.startswith("cuda"):
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        self.device = dev
        self.vae = load_any_vae(self.cfg.vae_path or "", self.cfg.kind, dev)
        from wpmodel.vae import VideoVAE

        if self.cfg.chunk_frames and isinstance(self.vae, VideoVAE):  # diffusers VAEs tile themselves
            self._encode_kw = {"chunk_frames": int(self.cfg.chunk_frames)}

    def _frames(self, task: LatentTask) -> np.ndarray:
        video = resolve_in_root(task.video_path, self.root, extra_roots=self.extra_roots)
        n = FRAMES_PER_LATENT * (num_latents(task.window_len) - 1) + 1
        frames = decode_frames(video, task.window_start, task.window_start + n, threads=1)  # [n, H, W, 3]
        if len(frames) != n:
            raise ValueError(f"{video}: decoded {len(frames)} frames of [{task.window_start}, +{n})")
        H, W = frames.shape[1:3]
        if (task.width, task.height) != (W, H):
            raise ValueError(f"{video}: video is {W}x{H} but the annotation says {task.width}x{task.height}")
        sc = int(self.vae.spatial_compression)
        if H % sc or W % sc:
            raise ValueError(f"{video}: {W}x{H} is not a multiple of the VAE's {sc}x spatial compression")
        return frames

    @torch.no_grad()
    def _encode(self, frames: np.ndarray) -> torch.Tensor:
        """[n, H, W, 3] uint8 -> normalised posterior mode [C, L, h, w] float32 on the CPU."""
        x = torch.from_numpy(frames).to(self.device).permute(3, 0, 1, 2)[None].float()  # [1, 3, n, H, W]
        x = x / 127.5 - 1.0
        z = self.vae.normalize(self.vae.encode(x, **self._encode_kw).mode())  # [1, C, L, h, w]
        return z[0].float().cpu()

    def process(self, item: dict) -> dict:
        task = self.tasks[item["sample_key"]]
        latent = self._encode(self._frames(task)).to(TORCH_DTYPES[self.cfg.dtype])  # [C, L, h, w]
        if latent.shape[1] != num_latents(task.window_len):
            raise ValueError(f"VAE gave {latent.shape[1]} latents for {task.window_len} frames")
        emb = None
        if task.caption_embedding_path:
            p = resolve_in_root(task.caption_embedding_path, self.root, extra_roots=self.extra_roots)
            try:
                emb = np.load(p, allow_pickle=False).astype(np.float32).reshape(-1)  # [D]
            except (OSError, ValueError, EOFError) as exc:
                raise ValueError(f"{p}: unreadable caption embedding ({exc})") from exc
        meta = {
            "vae": self.vae_name,
            "vae_hash": self.vae_hash,
            "scaling_factor": _plain(self.vae.scaling_factor),
            "shift_factor": _plain(self.vae.shift_factor),
            "dtype": self.cfg.dtype,
            "item_id": task.item_id,
            "window_start": task.window_start,
            "window_len": task.window_len,
        }
        data = latent_bytes(latent, emb, meta)
        atomic_write_bytes(latent_file(self.out_dir, task.sample_key), data)
        return {
            **item,
            "latent_shape": list(latent.shape),
            "has_caption_embedding": emb is not None,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
