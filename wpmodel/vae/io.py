"""Save and load a ``VideoVAE`` as a folder: ``config.json`` + ``model.safetensors`` (no pickle)."""

from __future__ import annotations

import json
from pathlib import Path

import safetensors.torch
import torch
from safetensors import SafetensorError

from manifests.atomic import atomic_path, atomic_write_text
from wpmodel.vae.causal_vae import VideoVAE
from wpmodel.vae.config import VAEConfig

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


def save_vae(directory: str | Path, vae: VideoVAE) -> Path:
    """Write ``directory``/model.safetensors then config.json, each atomically (temp file + rename)."""
    directory = Path(directory)
    state = {k: v.detach().to("cpu").contiguous() for k, v in vae.state_dict().items()}
    with atomic_path(directory / WEIGHTS_NAME) as tmp:
        safetensors.torch.save_file(state, str(tmp), metadata={"format": "pt"})
    config = {"_class_name": "VideoVAE", **vae.config.to_dict()}
    atomic_write_text(directory / CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True) + "\n")
    return directory


def load_vae(directory: str | Path, device: str | torch.device | None = None) -> VideoVAE:
    """The VAE saved in ``directory`` (strict: every weight must match the config's architecture)."""
    directory = Path(directory)
    cfg_path, w_path = directory / CONFIG_NAME, directory / WEIGHTS_NAME
    for p in (cfg_path, w_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: missing (not a saved VideoVAE folder)")
    try:
        raw = json.loads(cfg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{cfg_path}: not valid JSON ({exc})") from exc
    if raw.pop("_class_name", "VideoVAE") != "VideoVAE":
        raise ValueError(f"{cfg_path}: not a VideoVAE config (use diffusers_adapter for diffusers VAEs)")
    vae = VideoVAE(VAEConfig.from_dict(raw))
    try:
        state = safetensors.torch.load_file(str(w_path), device="cpu")
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"{w_path}: unreadable safetensors ({exc})") from exc
    try:
        vae.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{w_path}: weights do not match {cfg_path} ({exc})") from exc
    return vae.to(device) if device is not None else vae
