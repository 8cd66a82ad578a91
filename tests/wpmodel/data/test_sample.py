import io
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wpmodel.data.sample import SampleConfig, SampleError, decode_sample, parse_sample
from wpmodel.data.stats import SkipCounter
from wpmodel.data.window import pick_window, window_rng


def _raw(key: str, members: dict[str, bytes]) -> dict:
    return {"__key__": key, "__url__": "mem.tar", **members}


def _load(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data))


def test_mp4_window_is_chunk_aligned_recentred_and_sliced(kit: SimpleNamespace) -> None:
    m = kit.sample("a", 41, seed=3)  # 11 latents: windows of 4 latents start at latent 0, 4 (frame 0, 16)
    cfg = SampleConfig(window_latents=4, seed=5)
    starts = {parse_sample(_raw("a", m), cfg, epoch=e).window_start for e in range(12)}
    assert starts == {0, 16}
    epoch = next(e for e in range(12) if pick_window(11, 4, window_rng(5, e, "a")) == 4)
    s = parse_sample(_raw("a", m), cfg, epoch=epoch)
    assert s.window_start == 16 and s.video.shape == (13, 3, kit.H, kit.W) and s.video.dtype == torch.float32
    assert -1.0 <= s.video.min() and s.video.max() <= 1.0
    got = ((s.video.mean(dim=(1, 2, 3)) + 1) * 127.5).numpy()
    np.testing.assert_allclose(got, [kit.level(i) for i in range(16, 29)], atol=3)  # frames 16..28
    c2w = _load(m["c2w.npy"]).astype(np.float64)
    np.testing.assert_allclose(s.c2w[0].numpy(), np.eye(4), atol=1e-6)
    np.testing.assert_allclose(s.c2w[7].numpy(), np.linalg.inv(c2w[16]) @ c2w[23], atol=1e-5)
    assert s.K.shape == (13, 3, 3) and s.K.dtype == torch.float32
    np.testing.assert_allclose(s.K[12].numpy(), _load(m["K.npy"]))
    acts = _load(m["action.npy"])
    assert s.actions.dtype == torch.int64 and s.actions.tolist() == [0, *acts[5:8].tolist()]
    assert s.has_caption and torch.all(s.caption_embedding == 4) and s.caption_embedding.shape == (kit.D_CAP,)
    assert s.meta["item_id"] == "a" and s.latents is None


def test_latents_mode_and_first_window(kit: SimpleNamespace) -> None:
    m = kit.sample("b", 41, mp4=False)
    s = parse_sample(_raw("b", m), SampleConfig(window_latents=5, latents=True, random_window=False))
    assert s.video is None and s.latents.shape == (5, kit.C_LAT, kit.H // 8, kit.W // 8)
    assert s.latents.dtype == torch.float16 and s.latents[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4]
    assert s.c2w.shape == (17, 4, 4) and s.actions.shape == (5,)
    s = parse_sample(_raw("b", m), SampleConfig(window_latents=5, latents=True, seed=1), epoch=2)
    first = s.window_start // 4
    assert first in (0, 4) and s.latents[:, 0, 0, 0].tolist() == list(range(first, first + 5))


def test_whole_sample_resize_and_no_caption(kit: SimpleNamespace) -> None:
    m = kit.sample("c", 23, latent=False, caption=False)  # 6 latents: 21 frames used
    m["k.npy"] = m.pop("K.npy")  # stock webdataset lower-cases suffixes
    s = parse_sample(_raw("c", m), SampleConfig(size=(32, 24), caption_dim=8))
    assert s.video.shape == (21, 3, 24, 32) and s.actions.shape == (6,)
    K = _load(m["k.npy"])
    np.testing.assert_allclose(s.K[0].numpy(), np.diag([0.5, 0.5, 1.0]) @ K, rtol=1e-6)
    assert not s.has_caption and s.caption_embedding.tolist() == [0.0] * 8


def test_caption_npy_member_gives_the_embedding_of_an_mp4_sample(kit: SimpleNamespace) -> None:
    m = kit.sample("e", 23, latent=False, caption=False)
    buf = io.BytesIO()
    np.save(buf, np.arange(8, dtype=np.float32))
    m["caption.npy"] = buf.getvalue()
    s = parse_sample(_raw("e", m), SampleConfig(caption_dim=8))
    assert s.has_caption and s.caption_embedding.tolist() == list(range(8))


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda m: m.pop("mp4") and m.pop("json"), "missing:mp4+json"),
        (lambda m: m.update({"c2w.npy": b"not npy"}), "bad:c2w.npy"),
        (lambda m: m.update({"K.npy": b"\x93NUMPY garbage"}), "bad:K.npy"),
        (lambda m: m.update({"json": b"[1, 2]"}), "bad:json"),
        (lambda m: m.update({"mp4": b"\x00\x00\x00\x18ftypisom" + bytes(50)}), "bad:mp4"),
        (lambda m: m.update({"latent.safetensors": b"\x05\x00"}), "bad:latent.safetensors"),
        (lambda m: m.update({"action.npy": m["action.npy"][:-2]}), "bad:action.npy"),
    ],
)
def test_bad_samples_are_counted_not_raised(kit: SimpleNamespace, edit, reason: str) -> None:
    m = kit.sample("d", 21)
    edit(m)
    counter = SkipCounter()
    assert decode_sample(_raw("d", m), SampleConfig(), counter) is None
    assert counter.skipped == {reason: 1} and counter.samples_read == 1 and counter.samples_ok == 0
    assert "'d'" in counter.examples[reason] and "mem.tar" in counter.examples[reason]


def test_length_mismatch_short_window_and_unknown_members(kit: SimpleNamespace) -> None:
    counter = SkipCounter()
    m = kit.sample("e", 21)
    m["action.npy"] = kit.npy(np.zeros(3, np.int16))
    assert decode_sample(_raw("e", m), SampleConfig(), counter) is None
    m = kit.sample("f", 21) | {"jpg": b"x", "extra.txt": b"y"}
    assert decode_sample(_raw("f", m), SampleConfig(window_latents=8), counter) is None
    ok = decode_sample(
        _raw("g", kit.sample("g", 21) | {"jpg": b"x"}), SampleConfig(window_latents=4), counter
    )
    assert ok is not None and ok.video.shape[0] == 13
    assert counter.skipped == {"length_mismatch": 1, "shorter_than_window": 1}
    assert counter.unknown_members == {"jpg": 2, "extra.txt": 1}
    assert counter.samples_read == 3 and counter.samples_ok == 1
    with pytest.raises(SampleError, match="6 latents are shorter than a window of 8"):
        parse_sample(_raw("f", m), SampleConfig(window_latents=8))
