"""Stages of ``wp annotate``: poses + actions, captions, caption embeddings.

Per item, under ``<out>/annotations/``: ``<item_id>.poses.npz`` (``wpdata.poses.save_track``),
``<item_id>.actions.npz`` (``wpdata.actions.store``), ``<item_id>.caption_emb.npy`` (float32 [384]).
The caption and embedding stages are actor pools that load their model once per worker in ``setup``;
the caption stage asks for ``captions.num_gpus`` GPUs per worker. Stages pass data on through those
files (items carry manifest columns only), so a failed row never holds foreign keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from manifests.atomic import atomic_path
from pipelines.jobs.annotate_config import AnnotateConfig
from pipelines.jobs.annotate_items import ANNOTATIONS_SUBDIR, ItemContext
from pipelines.jobs.curate_shots import worker_threads
from pipelines.runtime import Stage


def _files(out_dir: str | Path, item_id: str) -> dict[str, Path]:
    base = Path(out_dir) / ANNOTATIONS_SUBDIR
    return {
        "poses": base / f"{item_id}.poses.npz",
        "actions": base / f"{item_id}.actions.npz",
        "emb": base / f"{item_id}.caption_emb.npy",
    }


def _rel(name: str) -> str:
    """A file under ``<out>/annotations`` as the manifest (in ``<out>/manifests``) refers to it."""
    return f"../{ANNOTATIONS_SUBDIR}/{name}"


def relative_ate(ref_c2w: np.ndarray, est_c2w: np.ndarray) -> float | None:
    """ATE RMSE after Sim(3) alignment of ``est`` to ``ref`` / ``ref``'s path length (None: no path)."""
    from wpdata.poses import pose_errors

    rel = pose_errors(ref_c2w, est_c2w)["ate_rel"]
    return None if not np.isfinite(rel) else float(rel)


class PoseActionStage(Stage):
    """Poses (given, render, or pycolmap), scale normalisation, per-frame and per-latent actions."""

    name = "poses_actions"

    def __init__(self, config: AnnotateConfig, contexts: dict[str, ItemContext], out_dir: str | Path) -> None:
        self.config = config
        self.contexts = contexts
        self.out_dir = str(out_dir)
        self.num_cpus = config.poses.num_cpus

    def setup(self) -> None:
        worker_threads(self)

    def _poses(self, ctx: ItemContext, T: int, W: int, H: int) -> tuple[Any, float | None]:
        """(PoseTrack, pose_ate or None) by the configured mode."""
        from wpdata.poses import PoseTrack, SfMConfig, estimate_poses, load_given_poses

        cfg = self.config.poses
        if ctx.given_c2w:  # a render: the trajectory it was rendered along is exact
            c2w = np.load(ctx.given_c2w).astype(np.float64)  # [T, 4, 4]
            K = np.broadcast_to(np.load(ctx.given_K).astype(np.float64), (len(c2w), 3, 3)).copy()
            if len(c2w) != T:
                raise ValueError(f"{ctx.given_c2w}: {len(c2w)} poses for a {T}-frame render")
            ones = np.ones(T, bool)
            return PoseTrack(c2w, K, W, H, "render", ones, registered_fraction=1.0), None
        wanted = ctx.given_pose and (cfg.mode != "estimate" or cfg.compare_given)
        given = load_given_poses(ctx.given_pose, T, W, H) if wanted else None
        if cfg.mode == "given" and given is None:
            raise ValueError("poses.mode is 'given' but the item came without poses")
        if given is not None and cfg.mode != "estimate":
            return given, None
        track = estimate_poses(ctx.video, SfMConfig.from_dict(cfg.sfm))
        ate = relative_ate(given.c2w, track.c2w) if given is not None else None
        return track, ate

    def process(self, item: dict) -> dict:
        from wpdata.actions import (
            action_histogram,
            frame_actions,
            latent_actions,
            latent_relative_poses,
            save_actions,
        )
        from wpdata.poses import normalise_scale, save_track
        from wpdata.video import probe

        ctx = self.contexts[item["item_id"]]
        info = probe(ctx.video)
        T, W, H = int(info.num_frames), int(info.width), int(info.height)
        track, pose_ate = self._poses(ctx, T, W, H)
        track = normalise_scale(track, self.config.poses.scale_rule, **self.config.poses.scale_params)
        files = _files(self.out_dir, item["item_id"])
        save_track(files["poses"], track)
        th = self.config.actions
        latent = latent_actions(track.c2w, th)  # [L] int16
        save_actions(
            files["actions"], frame_actions(track.c2w, th), latent, latent_relative_poses(track.c2w), th
        )
        return {
            **item,
            "fps": float(info.fps),
            "width": W,
            "height": H,
            "num_frames": T,
            "num_latents": int(len(latent)),
            "pose_source": track.source,
            "pose_path": _rel(files["poses"].name),
            "K_path": _rel(files["poses"].name),
            "registered_fraction": track.registered_fraction,
            "reproj_error": track.reproj_error,
            "track_length": track.track_length,
            "pose_mapper": track.mapper,
            "rot_agreement_deg": track.rot_agreement_deg,
            "rot_agreement_high_deg": track.rot_agreement_high_deg,
            "dir_agreement_deg": track.dir_agreement_deg,
            "dir_agreement_high_deg": track.dir_agreement_high_deg,
            "rescaled_legs": int(track.rescaled_legs),
            "repaired_jumps": int(track.repaired_jumps),
            "pose_ate": pose_ate,
            "scale": float(track.scale),
            "scale_rule": track.scale_rule,
            "actions_path": _rel(files["actions"].name),
            "action_histogram": [int(c) for c in action_histogram(latent)],
        }


class CaptionStage(Stage):
    """A caption per item: a VLM through transformers, or the structured captioner."""

    name = "caption"

    def __init__(self, config: AnnotateConfig, contexts: dict[str, ItemContext], out_dir: str | Path) -> None:
        cap = config.captions
        self.config = config
        self.contexts = contexts
        self.out_dir = str(out_dir)
        self.num_gpus = cap.num_gpus
        self.concurrency = cap.concurrency
        self.batch_size = cap.batch_size if cap.captioner == "vlm" else 1
        self.model: Any = None

    def setup(self) -> None:
        cap = self.config.captions
        if cap.captioner == "vlm":
            from wpdata.captions import VLMCaptioner, VLMConfig

            kw = {
                "model_path": cap.model_path,
                "device": cap.device,
                "dtype": cap.dtype,
                "num_frames": cap.num_frames,
                "max_new_tokens": cap.max_new_tokens,
                "batch_size": cap.batch_size,
                "frame_size": cap.frame_size,
                "frame_mode": cap.frame_mode,
                "torch_threads": worker_threads(self),
            }
            if cap.prompt:
                kw["prompt"] = cap.prompt
            self.model = VLMCaptioner(VLMConfig(**kw))

    def _frames(self, item: dict) -> np.ndarray:
        from wpdata.captions import caption_frames

        cap = self.config.captions
        return caption_frames(self.contexts[item["item_id"]].video, cap.num_frames, cap.frame_size)

    def _structured(self, item: dict) -> dict:
        from wpdata.actions import load_actions
        from wpdata.captions import structured_caption

        ctx = self.contexts[item["item_id"]]
        latent = load_actions(_files(self.out_dir, item["item_id"])["actions"])["latent_labels"]
        duration = item["num_frames"] / item["fps"] if item.get("fps") else None
        text = structured_caption(self._frames(item), latent, ctx.flags, duration)
        return {**item, "caption": text, "captioner": "structured"}

    def process_batch(self, items: list[dict]) -> list[dict | list[dict] | BaseException]:
        cap = self.config.captions
        if cap.captioner == "none":
            return [{**it, "caption": None, "captioner": None} for it in items]
        if cap.captioner == "structured":
            return super().process_batch(items)
        frames, results = [], [None] * len(items)
        for i, it in enumerate(items):
            try:
                frames.append((i, self._frames(it)))
            except Exception as exc:  # noqa: BLE001 - that item fails, the batch goes on
                results[i] = exc
        captions = self.model.caption_batch([f for _, f in frames])
        for (i, _), text in zip(frames, captions, strict=True):
            results[i] = (
                text
                if isinstance(text, BaseException)
                else {**items[i], "caption": text, "captioner": self.model.name}
            )
        return results

    def process(self, item: dict) -> dict:
        return self._structured(item)


class EmbedStage(Stage):
    """Caption embeddings (all-MiniLM-L6-v2 by default) saved beside the annotations."""

    name = "embed_captions"

    def __init__(self, config: AnnotateConfig, out_dir: str | Path) -> None:
        self.config = config
        self.out_dir = str(out_dir)
        self.batch_size = config.embed.batch_size
        self.model: Any = None

    def setup(self) -> None:
        import torch

        from wpdata.captions import TextEmbedder

        torch.set_num_threads(worker_threads(self))
        self.model = TextEmbedder(self.config.embed.model_path)

    def process_batch(self, items: list[dict]) -> list[dict | list[dict] | BaseException]:
        texts = [(i, it["caption"]) for i, it in enumerate(items) if it.get("caption")]
        out: list[dict | list[dict] | BaseException] = [dict(it) for it in items]
        if not texts:
            return out
        emb = self.model.embed([t for _, t in texts])  # [N, D] float32
        for (i, _), vec in zip(texts, emb, strict=True):
            path = _files(self.out_dir, items[i]["item_id"])["emb"]
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, vec.astype(np.float32))
            out[i] = {**items[i], "caption_embedding_path": _rel(path.name)}
        return out
