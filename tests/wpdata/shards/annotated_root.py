"""A small annotated job folder for shard tests, in the layout ``wp curate clips`` + ``wp annotate`` write.

``<root>/clips/*.mp4`` (Sekai-style clips along synthetic walking trajectories whose frames are
``wpdata.video.pattern`` frames: each frame shows its own index, so frame-exact cuts can be checked), ``<root>/annotations/<id>.poses.npz`` /
``.actions.npz`` / ``.caption_emb.npy``, ``<root>/manifests/{clips,annotations}.parquet``. Latent labels
are ``(7 * i + offset) % 81`` so a slice of them is recognisable. Loaded by path from the shard tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from manifests import clip_id, rows_to_table, source_id, write_manifest
from manifests.atomic import atomic_save_npz
from manifests.layout import num_latents

W, H, FPS = 64, 48, 12.0


def latent_labels(L: int, offset: int) -> np.ndarray:
    return ((7 * np.arange(L) + offset) % 81).astype(np.int16)  # [L]


def make_annotated_root(root: Path, lengths: tuple[int, ...] = (33, 21, 9), seed: int = 5) -> dict:
    """Write one clip per length and write its annotation files and both manifests; returns ids/paths."""
    from wpdata.synth import make_world, trajectories, write_sekai_clip
    from wpdata.synth.cameras import intrinsics
    from wpdata.video.pattern import pattern_frames

    world = make_world(seed, "street", n_boxes=6, texture_size=64)
    K = intrinsics(W, H)
    clips, annots, out = [], [], {"ids": [], "mp4": {}, "c2w": {}}
    for i, T in enumerate(lengths):
        c2w = trajectories.walking(world, T, FPS, seed=seed + i)  # [T, 4, 4]
        frames = pattern_frames(T, W, H)  # [T, H, W, 3] uint8, frame i shows i
        mp4 = write_sekai_clip(root / "clips", world, c2w, K, W, H, FPS, f"vid{i}", frames=frames)
        sid = source_id(f"vid{i}")
        cid = clip_id(sid, 0, T)
        ann = root / "annotations"
        atomic_save_npz(
            ann / f"{cid}.poses.npz",
            c2w=c2w.astype(np.float32),
            K=np.repeat(K[None], T, axis=0).astype(np.float32),
            registered=np.ones(T, bool),
        )
        L = num_latents(T)
        atomic_save_npz(
            ann / f"{cid}.actions.npz",
            frame_labels=np.zeros(T, np.int16),
            latent_labels=latent_labels(L, i),
            rel_latent=np.repeat(np.eye(4, dtype=np.float32)[None], L, axis=0),
        )
        np.save(ann / f"{cid}.caption_emb.npy", np.zeros(384, np.float32))
        rel_mp4 = f"../clips/{mp4.name}"
        clips.append(
            {
                "clip_id": cid,
                "source_id": sid,
                "start_frame": 0,
                "end_frame": T,
                "fps": FPS,
                "width": W,
                "height": H,
                "path": rel_mp4,
                "source_video_id": f"vid{i}",
                "score_shake": 0.1 * i,
                "score_motion": 1.0,
                "status": "ok",
            }
        )
        annots.append(
            {
                "item_id": cid,
                "item_kind": "clip",
                "video_path": rel_mp4,
                "fps": FPS,
                "width": W,
                "height": H,
                "pose_source": "sekai",
                "pose_path": f"../annotations/{cid}.poses.npz",
                "K_path": f"../annotations/{cid}.poses.npz",
                "num_frames": T,
                "num_latents": L,
                "scale": 1.0,
                "scale_rule": "none",
                "actions_path": f"../annotations/{cid}.actions.npz",
                "caption": f"walking along a street, clip {i}",
                "captioner": "structured",
                "caption_embedding_path": f"../annotations/{cid}.caption_emb.npy",
                "status": "ok",
            }
        )
        out["ids"].append(cid)
        out["mp4"][cid] = mp4
        out["c2w"][cid] = c2w.astype(np.float32)
    write_manifest(root / "manifests" / "clips.parquet", rows_to_table("clips", clips))
    write_manifest(root / "manifests" / "annotations.parquet", rows_to_table("annotations", annots))
    out["clips_rows"], out["annotation_rows"] = clips, annots
    return out


def write_annotations(root: Path, rows: list[dict]) -> None:
    """Replace the annotations manifest (tests that break one row)."""
    write_manifest(root / "manifests" / "annotations.parquet", rows_to_table("annotations", rows))
