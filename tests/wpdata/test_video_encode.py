"""write_mp4(): H.264 round trip quality, odd sizes, fractional rates, atomic writes, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wpdata.clips.export import export_clip
from wpdata.synth import intrinsics, make_world, render_frames, walking
from wpdata.video import VideoError, decode_frames, probe, write_mp4
from wpdata.video.pattern import pattern_frames, pattern_index


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def moving_gradient(n: int, width: int, height: int) -> np.ndarray:
    """[T, H, W, 3] uint8 smooth colour gradients drifting 2 px per frame (natural-video-like content)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    t = np.arange(n, dtype=np.float64)[:, None, None]
    r = 128 + 100 * np.sin((x + 2 * t) / width * 2 * np.pi)
    g = 128 + 100 * np.cos((y + t) / height * 2 * np.pi)
    b = 128 + 60 * np.sin((x + y - 3 * t) / (width + height) * 4 * np.pi)
    return np.stack([r, g, b], axis=-1).round().astype(np.uint8)


def test_round_trip_psnr(tmp_path: Path) -> None:
    frames = moving_gradient(20, 128, 72)  # [20, 72, 128, 3]
    out = write_mp4(tmp_path / "rt.mp4", frames, fps=25, crf=18)
    assert out == tmp_path / "rt.mp4"
    info = probe(out)
    assert (info.codec, info.pix_fmt, info.width, info.height, info.num_frames) == (
        "h264",
        "yuv420p",
        128,
        72,
        20,
    )
    assert psnr(decode_frames(out), frames) > 35
    pattern = decode_frames(write_mp4(tmp_path / "p.mp4", pattern_frames(20), fps=25))
    assert [pattern_index(f) for f in pattern] == list(range(20))


def test_iterable_input_and_fractional_fps(tmp_path: Path) -> None:
    frames = pattern_frames(10)
    out = write_mp4(tmp_path / "gen.mp4", (f for f in frames), fps=23.976)
    info = probe(out)
    assert info.num_frames == 10 and info.fps == pytest.approx(23.976, rel=1e-4)


def test_odd_size_is_edge_padded(tmp_path: Path) -> None:
    frames = moving_gradient(4, 65, 49)
    out = write_mp4(tmp_path / "odd.mp4", frames, fps=10)
    info = probe(out)
    assert (info.width, info.height) == (66, 50)
    decoded = decode_frames(out)
    assert psnr(decoded[:, :49, :65], frames) > 30  # small frame: chroma subsampling dominates
    assert psnr(decoded[:, 49, :65], frames[:, 48]) > 30  # padded row repeats the edge row


def test_gray_frames_accepted(tmp_path: Path) -> None:
    gray = np.tile(np.linspace(0, 255, 64, dtype=np.uint8)[None, None, :], (3, 48, 1))  # [3, 48, 64]
    decoded = decode_frames(write_mp4(tmp_path / "g.mp4", gray, fps=10))
    assert decoded.shape == (3, 48, 64, 3) and psnr(decoded[..., 1], gray) > 35


def test_atomic_no_partial_file(tmp_path: Path) -> None:
    def frames_then_crash():
        yield from pattern_frames(3)
        raise RuntimeError("producer died")

    with pytest.raises(RuntimeError, match="producer died"):
        write_mp4(tmp_path / "crash.mp4", frames_then_crash(), fps=10)
    assert list(tmp_path.iterdir()) == []
    write_mp4(tmp_path / "ok.mp4", pattern_frames(3), fps=10)
    assert [p.name for p in tmp_path.iterdir()] == ["ok.mp4"]


def test_deterministic_bytes_with_pinned_threads(tmp_path: Path) -> None:
    frames = pattern_frames(8)
    a = write_mp4(tmp_path / "a.mp4", frames, fps=10, threads=1).read_bytes()
    b = write_mp4(tmp_path / "b.mp4", frames, fps=10, threads=1).read_bytes()
    assert a == b


def test_same_bytes_whatever_the_heap_holds(tmp_path: Path) -> None:
    """Freed memory full of patterns between encodes: x264's AVX-512 code read it through the row padding."""
    frames = np.random.default_rng(1).integers(0, 256, (30, 30, 34, 3), dtype=np.uint8)  # [T, H, W, 3]
    first = write_mp4(tmp_path / "a.mp4", frames, fps=12, threads=1).read_bytes()
    for fill in (0xAB, 0x11, 0xFF):
        junk = [np.full(1 << k, fill, np.uint8) for k in range(8, 22)]  # freed blocks the encoder may reuse
        del junk
        assert write_mp4(tmp_path / "b.mp4", frames, fps=12, threads=1).read_bytes() == first


def test_export_gives_the_same_bytes_run_after_run(tmp_path: Path) -> None:
    """An upscaled walk re-encoded six times: one file (x264's AVX-512 rate control varied one in two here)."""
    world = make_world(3, "street")
    c2w = walking(world, 34, 10.0, 3)
    src = write_mp4(tmp_path / "src.mp4", list(render_frames(world, c2w, intrinsics(160, 96), 160, 96)), 10.0)
    outs = set()
    for k in range(6):
        export_clip(src, tmp_path / f"{k}.mp4", 0, 34, src_size=(160, 96), fps=10.0, target=(320, 180))
        outs.add((tmp_path / f"{k}.mp4").read_bytes())
    assert len(outs) == 1


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no frames"):
        write_mp4(tmp_path / "e.mp4", np.zeros((0, 48, 64, 3), np.uint8), fps=10)
    with pytest.raises(VideoError, match="dtype float32"):
        write_mp4(tmp_path / "f.mp4", np.zeros((2, 48, 64, 3), np.float32), fps=10)
    with pytest.raises(VideoError, match="expected \\[H, W, 3\\]"):
        write_mp4(tmp_path / "c.mp4", np.zeros((2, 48, 64, 4), np.uint8), fps=10)
    with pytest.raises(VideoError, match="size 32x24 != 64x48"):
        write_mp4(
            tmp_path / "s.mp4", [np.zeros((48, 64, 3), np.uint8), np.zeros((24, 32, 3), np.uint8)], fps=10
        )
    with pytest.raises(VideoError, match="fps"):
        write_mp4(tmp_path / "r.mp4", pattern_frames(2), fps=0)
    assert list(tmp_path.iterdir()) == []
