from types import SimpleNamespace

import numpy as np
import pytest

from wpdata.video import write_mp4
from wpmodel.data.decode import DecodeError, decode_mp4, decode_mp4_unit


def test_decodes_all_frames_in_order(kit: SimpleNamespace) -> None:
    dec = decode_mp4(kit.mp4(21))
    assert dec.frames.shape == (21, kit.H, kit.W, 3) and dec.frames.dtype == np.uint8
    assert dec.source_size == (kit.W, kit.H)
    means = dec.frames.reshape(21, -1).mean(axis=1)
    np.testing.assert_allclose(means, [kit.level(i) for i in range(21)], atol=3)


def test_frame_range_and_resize(kit: SimpleNamespace) -> None:
    dec = decode_mp4(kit.mp4(21), start=16, end=21, size=(32, 16), threads=1)
    assert dec.frames.shape == (5, 16, 32, 3) and dec.source_size == (kit.W, kit.H)
    levels = [kit.level(i) for i in range(16, 21)]
    np.testing.assert_allclose(dec.frames.reshape(5, -1).mean(1), levels, atol=3)


def test_range_past_the_end_names_the_sample(kit: SimpleNamespace) -> None:
    with pytest.raises(DecodeError, match=r"key7: video has 21 frames; asked for \[16, 33\)"):
        decode_mp4(kit.mp4(21), start=16, end=33, name="key7")


def test_garbage_and_audio_only(kit: SimpleNamespace, write_audio_only) -> None:
    with pytest.raises(DecodeError, match="clipX: not a readable video container"):
        decode_mp4(b"\x00\x00\x00\x18ftypmp42 not really", name="clipX")
    audio = write_audio_only(kit.tmp / "a.mp4").read_bytes()
    with pytest.raises(DecodeError, match="no video stream"):
        decode_mp4(audio)
    with pytest.raises(DecodeError, match="bad frame range"):
        decode_mp4(audio, start=3, end=3)


@pytest.mark.parametrize(("start", "end", "size"), [(0, None, None), (4, 17, (32, 24)), (16, 21, None)])
def test_unit_decode_equals_uint8_decode_scaled(kit: SimpleNamespace, start, end, size) -> None:
    data = kit.mp4(21)
    u8 = decode_mp4(data, start, end, size).frames  # [T, H, W, 3]
    unit = decode_mp4_unit(data, start, end, size)
    assert unit.frames.dtype == np.float32 and unit.frames.shape == u8.transpose(0, 3, 1, 2).shape
    atol = 1e-6 if size is None else 2.01 / 127.5  # swscale rounds resize + gbrp a level apart from rgb24
    np.testing.assert_allclose(unit.frames, u8.transpose(0, 3, 1, 2) / 127.5 - 1.0, atol=atol)
    assert unit.source_size == (kit.W, kit.H)


def test_unit_decode_keeps_colour_channels_in_rgb_order(kit: SimpleNamespace) -> None:
    frames = np.zeros((3, kit.H, kit.W, 3), np.uint8)
    frames[..., 0] = 220  # red
    frames[..., 2] = 40
    path = write_mp4(kit.tmp / "red.mp4", frames, fps=24, crf=0, threads=1)
    unit = decode_mp4_unit(path.read_bytes()).frames  # [T, 3, H, W]
    means = (unit.mean(axis=(0, 2, 3)) + 1) * 127.5
    np.testing.assert_allclose(means, [220, 0, 40], atol=4)
