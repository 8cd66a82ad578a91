"""Speed of the captioning pieces on this CPU: frame sampling, structured captions, embeddings, the VLM path.

Renders one 10 s 1280x720 @ 30 fps H.264 walking clip once (640x360 render upscaled, cached; x264's
default GOP of 250 frames) and a copy with 2 s GOPs (60 frames, as streaming sites encode), then times:
- ``caption_frames`` (4 frames, longest side 448) on each, against a plain decode of every frame;
- ``structured_caption`` on those frames with a 76-latent label sequence: ms per clip;
- ``TextEmbedder.embed`` (all-MiniLM-L6-v2) on 256 structured-caption-like texts: captions per second;
- ``VLMCaptioner`` with the tiny test LLaVA (plumbing overhead only: a real VLM costs far more):
  clips per second at batch 1 and batch 8, 32 new tokens.

    python benchmarks/caption_speed.py [--cache /tmp/wp_bench] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2


def render_clip(cache: Path, seconds: float = 10.0, fps: int = 30) -> Path:
    """A 1280x720 walking clip (cached by name)."""
    from wpdata.synth import intrinsics, make_world, render_frames, walking
    from wpdata.video import write_mp4

    path = cache / f"caption_walk720_{seconds:g}s.mp4"
    if not path.exists():
        world = make_world(100, "street")
        c2w = walking(world, int(seconds * fps), fps, 100)
        frames = (
            cv2.resize(f, (1280, 720)) for f in render_frames(world, c2w, intrinsics(640, 360), 640, 360)
        )
        write_mp4(path, frames, fps, threads=1)
    return path


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of `repeat` calls and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/wp_bench"))
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    import torch

    from manifests.actions import keys_to_label
    from wpdata.captions.embed import TextEmbedder
    from wpdata.captions.frames import caption_frames
    from wpdata.captions.structured import structured_caption
    from wpdata.captions.tiny_vlm import build_tiny_vlm
    from wpdata.captions.vlm import VLMCaptioner, VLMConfig
    from wpdata.video import iter_frames, write_mp4

    torch.set_num_threads(args.threads)
    clip = render_clip(args.cache)
    gop60 = args.cache / "caption_walk720_10s_gop60.mp4"
    if not gop60.exists():
        write_mp4(gop60, iter_frames(clip), 30, threads=1, gop_size=60)
    for path, gop in ((clip, 250), (gop60, 60)):
        t_full, _ = timed(lambda path=path: sum(1 for _ in iter_frames(path)), 2)
        t_frames, frames = timed(lambda path=path: caption_frames(path, 4, 448))
        print(
            f"caption_frames 4 @ 448 px, 10 s 720p, GOP {gop}: {t_frames:.3f} s/clip "
            f"(full decode {t_full:.3f} s, ratio {t_frames / t_full:.2f}) {frames.shape}"
        )

    labels = [0] + [keys_to_label(["W"])] * 40 + [keys_to_label(["W", "right"])] * 20 + [0] * 15
    t_struct, text = timed(
        lambda: structured_caption(frames, labels, ["overlay:watermark:top-right"], 10.0), 5
    )
    print(f"structured_caption: {t_struct * 1e3:.1f} ms/clip -> {text!r}")

    embedder = TextEmbedder(batch_size=64)
    texts = [f"{text} Variant {i}." for i in range(256)]
    t_embed, emb = timed(lambda: embedder.embed(texts), 2)
    print(
        f"TextEmbedder: {len(texts) / t_embed:.0f} captions/s (batch 64, {args.threads} thread(s)) {emb.shape}"
    )

    tiny = build_tiny_vlm(args.cache / "tiny_vlm")
    for bs in (1, 8):
        cap = VLMCaptioner(VLMConfig(str(tiny), max_new_tokens=32, batch_size=bs))
        items = [frames] * 8
        t_vlm, _ = timed(lambda cap=cap, items=items: cap.caption_batch(items), 2)
        print(f"tiny VLM, batch {bs}: {len(items) / t_vlm:.1f} clips/s (32 new tokens, 4 images of 448 px)")


if __name__ == "__main__":
    main()
