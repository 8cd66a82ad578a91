"""The demo data set: two DL3DV-style scenes, a folder of Sekai-style clips and a labelled defects set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from wpdata.synth import trajectories
from wpdata.synth.cameras import intrinsics
from wpdata.synth.clips import write_sekai_clip
from wpdata.synth.defects import make_defects_set
from wpdata.synth.layouts import make_world
from wpdata.synth.scene_folder import write_dl3dv_scene

__all__ = ["make_demo_world", "DEMO_SCALES"]

# per scale: scene views and size, clip size / fps / seconds, defects per class and their size / seconds
DEMO_SCALES = {
    "tiny": {
        "views": 6,
        "scene_wh": (128, 72),
        "clip_wh": (256, 144),
        "fps": 10,
        "seconds": 4.0,
        "defects": 1,
        "defects_wh": (160, 90),
        "defects_seconds": 1.0,
    },
    "small": {
        "views": 32,
        "scene_wh": (256, 144),
        "clip_wh": (320, 180),
        "fps": 15,
        "seconds": 3.0,
        "defects": 1,
        "defects_wh": (320, 180),
        "defects_seconds": 4.0,
    },
    "medium": {
        "views": 64,
        "scene_wh": (512, 288),
        "clip_wh": (640, 360),
        "fps": 30,
        "seconds": 6.0,
        "defects": 4,
        "defects_wh": (320, 180),
        "defects_seconds": 4.0,
    },
}
_CLIPS = [
    ("street", "walking"),
    ("plaza", "drone"),
    ("street", "out_and_back"),
    ("plaza", "loop"),
    ("room", "look_around"),
    ("room", "walking"),
]


def make_demo_world(out_dir: str | os.PathLike, seed: int = 0, scale: str = "small") -> dict:
    """Write the demo data under out_dir; returns {"scenes": [Path], "clips_dir": Path, "clips": [Path],
    "defects_labels": Path}."""
    if scale not in DEMO_SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(DEMO_SCALES)}")
    cfg = DEMO_SCALES[scale]
    out = Path(out_dir)
    worlds = {kind: make_world(seed, kind) for kind in ("street", "plaza", "room")}

    scenes = []
    sw, sh = cfg["scene_wh"]
    K_scene = intrinsics(sw, sh, 70.0)
    for k, (kind, how) in enumerate([("street", "orbit"), ("room", "walking")]):
        w = worlds[kind]
        if how == "orbit":
            c2w = trajectories.orbit(w, cfg["views"], seed)
        else:  # a slow walk, subsampled so neighbouring views overlap but differ
            c2w = trajectories.walking(w, cfg["views"] * 4, 15.0, seed + 1, speed=1.0)[::4]
        scenes.append(
            write_dl3dv_scene(out / "scenes" / f"scene_{k:03d}_{kind}", w, c2w, K_scene, sw, sh, seed=seed)
        )

    clips_dir = out / "clips"
    cw, ch = cfg["clip_wh"]
    fps = cfg["fps"]
    T = int(round(fps * cfg["seconds"]))
    K_clip = intrinsics(cw, ch, 75.0)
    clips = []
    for k, (kind, traj) in enumerate(_CLIPS):
        c2w = trajectories.TRAJECTORIES[traj](worlds[kind], T, fps, seed + 10 + k)
        video_id = f"synth{seed:03d}{kind[0]}{k:02d}"
        start = int(np.random.default_rng([seed, k]).integers(0, 500)) * 5
        clips.append(write_sekai_clip(clips_dir, worlds[kind], c2w, K_clip, cw, ch, fps, video_id, start))

    dw, dh = cfg["defects_wh"]
    labels = make_defects_set(out / "defects", cfg["defects"], seed, dw, dh, seconds=cfg["defects_seconds"])
    return {"scenes": scenes, "clips_dir": clips_dir, "clips": clips, "defects_labels": labels}
