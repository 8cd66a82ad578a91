"""The trainer's data sources from a ``TrainConfig``: shard loaders per rank, the frozen VAE, and the
epoch / position bookkeeping that makes resume exact (skip the batches an epoch already used)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from wpmodel.data.loader import Loader, make_loader
from wpmodel.train.config import TrainConfig
from wpmodel.train.dist import DistInfo, all_true


def shard_source(shards: Any) -> Any:
    """A folder -> its ``*.tar`` files (sorted); a list, brace pattern or wids index (.json) as is."""
    if shards is None:
        raise ValueError("data.shards is not set: give shard urls, a folder of *.tar, or a wids index")
    if isinstance(shards, (str, Path)) and Path(shards).is_dir():
        tars = sorted(str(p) for p in Path(shards).glob("*.tar"))
        if not tars:
            raise FileNotFoundError(f"{shards}: no *.tar shards in this folder")
        return tars
    return [str(s) for s in shards] if isinstance(shards, (list, tuple)) else str(shards)


def train_loader(cfg: TrainConfig, info: DistInfo) -> Loader:
    """This rank's loader over ``data.shards`` (deterministic for (seed, epoch))."""
    d = cfg.data
    return make_loader(
        shard_source(d.shards),
        d.batch_size,
        window_latents=d.window_latents,
        latents=d.latents,
        shuffle_buffer=d.shuffle_buffer,
        seed=cfg.train.seed,
        num_workers=d.num_workers,
        rank=info.rank,
        world_size=info.world_size,
        size=d.size,
        drop_last=True,  # equal batch shapes; a ragged last batch would change the compute per step
    )


def val_loader(cfg: TrainConfig) -> Loader | None:
    """One loader over ``data.val_shards`` read in full by every rank (first windows, no shuffle)."""
    d = cfg.data
    if d.val_shards is None:
        return None
    return make_loader(
        shard_source(d.val_shards),
        d.batch_size,
        window_latents=d.window_latents,
        latents=d.latents,
        seed=0,
        rank=0,
        world_size=1,
        size=d.size,
        random_window=False,
    )


def load_frozen_vae(path: str | None, device: torch.device) -> Any:
    """The VAE at ``path`` (a saved VideoVAE folder, or a diffusers VAE folder), frozen, in eval mode."""
    if path is None:
        return None
    from wpmodel.vae import load_pretrained_vae, load_vae

    p = Path(path)
    if not (p / "config.json").is_file():
        raise FileNotFoundError(f"{p}: no config.json (data.vae_path must be a saved VAE folder)")
    try:
        vae = load_vae(p, device)
    except ValueError as exc:
        if "not a VideoVAE config" not in str(exc):
            raise
        vae = load_pretrained_vae(p).to(device)
    return vae.eval().requires_grad_(False)


def epoch_batches(loader: Any, epoch: int, skip: int) -> Iterator[dict[str, Any]]:
    """The batches of ``epoch`` after the first ``skip`` (those a resumed run already trained on)."""
    if hasattr(loader, "set_epoch"):
        loader.set_epoch(epoch)
    it = iter(loader)
    for _ in range(skip):
        if next(it, None) is None:
            return
    yield from it


def run_batches(
    loader: Any, epoch: int, pos: int, info: DistInfo, what: str = "training"
) -> Iterator[tuple[dict[str, Any], int, int]]:
    """(batch, epoch, batches of that epoch used so far) from ``epoch`` after its first ``pos`` batches,
    epoch after epoch, for as long as the caller asks. An epoch ends on every rank at the same step (when
    any rank runs out: ``all_true``, a collective each batch); an epoch that yields no batch at all
    raises ValueError (``what`` names the data)."""
    while True:
        batches, seen = epoch_batches(loader, epoch, pos), pos
        while all_true((batch := next(batches, None)) is not None, info):
            seen += 1
            yield batch, epoch, seen
        if seen == 0:
            raise ValueError(f"the {what} data yielded no batch in epoch {epoch}")
        epoch, pos = epoch + 1, 0
