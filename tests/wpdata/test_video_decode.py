"""decode_frames()/iter_frames(): exact frame ranges, seeking, fps resampling, resize, gray, failures."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from wpdata.video import VideoError, decode_frames, iter_frames, write_mp4
from wpdata.video.container import open_input, stream_fps, video_stream
from wpdata.video.decode import _indexed_frames
from wpdata.video.pattern import pattern_frames, pattern_index

N = 40
FPS = 20


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 frames at 20 fps, a keyframe every 4 frames, each frame drawing its own index."""
    return write_mp4(
        tmp_path_factory.mktemp("decode") / "clip.mp4", pattern_frames(N, 64, 48), FPS, gop_size=4
    )


def ids(frames: np.ndarray) -> list[int]:
    return [pattern_index(f) for f in frames]


def test_decode_all(clip: Path) -> None:
    frames = decode_frames(clip)
    assert frames.shape == (N, 48, 64, 3) and frames.dtype == np.uint8
    assert ids(frames) == list(range(N))


@pytest.mark.parametrize(("start", "end"), [(0, 5), (7, 12), (30, 40), (33, 34), (5, None)])
def test_decode_exact_range(clip: Path, start: int, end: int | None) -> None:
    assert ids(decode_frames(clip, start, end)) == list(range(start, N if end is None else end))


def test_decode_seeks_to_keyframe_before_start(clip: Path) -> None:
    with open_input(clip) as container:
        stream = video_stream(container, clip)
        first_idx, _ = next(_indexed_frames(container, stream, stream_fps(stream), 30, clip))
    assert 26 <= first_idx <= 30  # started at the keyframe before 30, not at frame 0


def test_decode_empty_range(clip: Path) -> None:
    assert decode_frames(clip, 5, 5).shape == (0, 48, 64, 3)
    assert decode_frames(clip, 5, 5, gray=True).shape == (0, 48, 64)


def test_decode_fps_downsample(clip: Path) -> None:
    frames = decode_frames(clip, fps=10)
    assert len(frames) == N // 2
    assert ids(frames) == list(range(0, N, 2))
    assert ids(decode_frames(clip, 3, 13, fps=5)) == [3, 7, 11]
    assert ids(decode_frames(clip, fps=7)) == [int(np.floor(k * FPS / 7 + 0.5)) for k in range(14)]


def test_decode_fps_upsample_repeats_frames(clip: Path) -> None:
    assert ids(decode_frames(clip, 10, 14, fps=40)) == [10, 11, 11, 12, 12, 13, 13]


def test_decode_resize_and_gray(clip: Path) -> None:
    small = decode_frames(clip, 0, 6, size=(32, 24))
    assert small.shape == (6, 24, 32, 3) and ids(small) == list(range(6))
    big = decode_frames(clip, 0, 2, size=(128, 96))
    assert big.shape == (2, 96, 128, 3)
    gray = decode_frames(clip, 4, 9, gray=True, size=(48, 36))
    assert gray.shape == (5, 36, 48) and gray.dtype == np.uint8 and ids(gray) == list(range(4, 9))


@pytest.mark.parametrize(
    ("size", "gray"), [((32, 24), False), ((128, 96), False), ((48, 36), True), (None, False)]
)
def test_decoded_pixels_equal_pyav_per_frame_conversion(clip: Path, size, gray: bool) -> None:
    """The reused converter gives exactly what PyAV's own per-frame conversion gives (shrink: AREA)."""
    got = decode_frames(clip, 0, 10, size=size, gray=gray)
    w, h = size if size is not None else (None, None)
    interp = "AREA" if size is not None and size[0] * size[1] < 64 * 48 else "BILINEAR"
    with av.open(str(clip)) as c:
        for n, frame in enumerate(c.decode(c.streams.video[0])):
            if n == 10:
                break
            want = frame.to_ndarray(
                format="gray" if gray else "rgb24", width=w, height=h, interpolation=interp
            )
            np.testing.assert_array_equal(got[n], want)


def test_iter_frames_is_lazy_and_threads(clip: Path) -> None:
    it = iter_frames(clip, 2, None, threads=2)
    assert pattern_index(next(it)) == 2
    assert pattern_index(next(it)) == 3
    it.close()


def test_decode_autorotate(tmp_path: Path) -> None:
    path = tmp_path / "rot.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.set_display_rotation(90)
        for frame in pattern_frames(3, 64, 48):
            c.mux(s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        c.mux(s.encode(None))
    stored = decode_frames(path)
    upright = decode_frames(path, autorotate=True)
    assert stored.shape == (3, 48, 64, 3) and upright.shape == (3, 64, 48, 3)
    np.testing.assert_array_equal(upright[1], np.rot90(stored[1]))


def test_decode_bad_requests(clip: Path) -> None:
    with pytest.raises(VideoError, match="requested frames"):
        decode_frames(clip, 0, N + 5)
    with pytest.raises(VideoError, match="negative"):
        decode_frames(clip, -1, 4)
    with pytest.raises(VideoError, match="before start"):
        decode_frames(clip, 6, 4)
    with pytest.raises(VideoError, match="target fps"):
        decode_frames(clip, fps=0)
    with pytest.raises(VideoError, match="size must be"):
        decode_frames(clip, size=(0, 10))


@pytest.mark.timeout(30)
def test_decode_truncated(tmp_path: Path, clip: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    with pytest.raises(VideoError, match=r"truncated|corrupt") as err:
        decode_frames(cut)
    assert str(cut) in str(err.value)
    partial = decode_frames(cut, strict=False)
    assert 0 < len(partial) < N and ids(partial) == list(range(len(partial)))


@pytest.mark.timeout(30)
def test_decode_bad_files(tmp_path: Path) -> None:
    (tmp_path / "zero.mp4").write_bytes(b"")
    (tmp_path / "rand.mp4").write_bytes(np.random.default_rng(1).bytes(30_000))
    with pytest.raises(VideoError, match="zero-byte"):
        decode_frames(tmp_path / "zero.mp4")
    with pytest.raises(VideoError, match="not a video"):
        decode_frames(tmp_path / "rand.mp4")


def test_decode_timeout(clip: Path) -> None:
    with pytest.raises(VideoError, match="timed out"):
        decode_frames(clip, timeout_s=0.0)
