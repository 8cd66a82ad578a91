"""Chunk-by-chunk decoding equals decoding the whole sequence; the mp4 grows chunk by chunk and appears
atomically; a single first frame becomes a whole static first chunk."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpdata.video import probe
from wpmodel.generate import Mp4Stream, StreamingDecoder, first_chunk_latents, frames_for_latents
from wpmodel.vae.samples import to_uint8


class _WholeSequenceVAE:
    """A VideoAutoencoder that is not the project's VideoVAE: the decoder's generic path."""

    def __init__(self, vae):
        self.vae = vae
        self.temporal_compression, self.spatial_compression = 4, 8

    def decode(self, z):
        return self.vae.decode(z)

    def normalize(self, z):
        return self.vae.normalize(z)

    def denormalize(self, z):
        return self.vae.denormalize(z)


def _chunks(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(1, 4, 4, 4, 4, generator=g) for _ in range(3)]  # 12 latents of 4x4


@pytest.mark.parametrize("generic", [False, True])
def test_streaming_decode_equals_whole_sequence_decode(micro_vae, generic):
    chunks = _chunks()
    dec = StreamingDecoder(_WholeSequenceVAE(micro_vae) if generic else micro_vae)
    frames = [dec.decode(c) for c in chunks]
    assert [len(f) for f in frames] == [13, 16, 16]
    assert dec.num_frames == frames_for_latents(12) == 45
    z = micro_vae.denormalize(torch.cat(chunks, 1).permute(0, 2, 1, 3, 4))
    with torch.no_grad():
        whole = to_uint8(micro_vae.decode(z)[0])  # [45, 32, 32, 3]
    got = np.concatenate(frames)
    assert got.shape == whole.shape == (45, 32, 32, 3)
    assert np.abs(got.astype(int) - whole.astype(int)).max() <= 1  # uint8 rounding of float noise


def test_decoder_without_vae_previews_latents():
    frames = StreamingDecoder(None, preview_scale=2).decode(_chunks()[0])
    assert frames.shape == (4, 8, 8, 3) and frames.dtype == np.uint8


def test_first_chunk_from_one_frame_is_a_static_clip(micro_vae):
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    z = first_chunk_latents(micro_vae, frame)
    assert z.shape == (1, 4, 4, 4, 4) and z.dtype == torch.float32
    with torch.no_grad():
        video = torch.from_numpy(frame).permute(2, 0, 1).float()[None, :, None] / 127.5 - 1.0
        video = video.expand(1, 3, 13, 32, 32)
        ref = micro_vae.normalize(micro_vae.encode(video).mode()).permute(0, 2, 1, 3, 4)
        single = micro_vae.normalize(micro_vae.encode(video[:, :, :1]).mode())[:, :, 0]  # one latent
    assert torch.allclose(z, ref)
    assert torch.allclose(z[:, 0], single, atol=1e-5)  # causal: latent 0 is the frame alone
    with pytest.raises(ValueError, match="multiple of 8"):
        first_chunk_latents(micro_vae, frame[:30])


def _write(path, chunks):
    with Mp4Stream(path, fps=12) as mp4:
        for c in chunks:
            mp4.write(c)
    return mp4


def test_mp4_stream_appends_chunks_deterministically(tmp_path):
    rng = np.random.default_rng(1)
    chunks = [rng.integers(0, 256, (n, 30, 34, 3), dtype=np.uint8) for n in (13, 16, 16)]
    mp4 = _write(tmp_path / "a.mp4", chunks)
    assert mp4.num_frames == 45
    info = probe(tmp_path / "a.mp4")
    assert (info.num_frames, info.width, info.height) == (45, 34, 30)
    _write(tmp_path / "b.mp4", chunks)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4"]  # no temp files left


def test_mp4_stream_failure_leaves_no_file(tmp_path):
    frames = np.zeros((4, 16, 16, 3), np.uint8)
    with pytest.raises(RuntimeError, match="boom"), Mp4Stream(tmp_path / "x.mp4") as mp4:
        mp4.write(frames)
        raise RuntimeError("boom")
    with pytest.raises(ValueError, match="differs"), Mp4Stream(tmp_path / "y.mp4") as mp4:
        mp4.write(frames)
        mp4.write(np.zeros((4, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="no frames"), Mp4Stream(tmp_path / "z.mp4"):
        pass
    assert list(tmp_path.iterdir()) == []
