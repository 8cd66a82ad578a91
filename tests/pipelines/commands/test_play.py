"""``wp play``: live keys piped on stdin (one line per chunk), a key script from a shard sample's first
frame; an mp4 with the expected frame count and per-chunk latencies printed."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from pipelines.cli import app
from wpdata.synth import intrinsics, make_world, render_frames
from wpdata.video import probe, write_mp4
from wpmodel.dit.model import WorldPlayDiT
from wpmodel.train.checkpoint import save_checkpoint
from wpmodel.train.config import TrainConfig
from wpmodel.train.ema import EMA
from wpmodel.vae import VAEConfig, VideoVAE, save_vae

MODEL = {"latent_channels": 4, "hidden": 32, "depth": 2, "heads": 2, "freq_dim": 32, "caption_tokens": 2}


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """run/ (tiny woken DiT), vae/ (micro VAE), first.png and a one-sample shard of a rendered clip."""
    root = tmp_path_factory.mktemp("play")
    cfg = TrainConfig.from_dict({"model": {"preset": "tiny", "overrides": MODEL}})
    torch.manual_seed(0)
    model = WorldPlayDiT(cfg.model.dit_config())
    with torch.no_grad():  # wake the zero-initialised layers so the output is not trivially zero
        for p in model.parameters():
            if bool((p == 0).all()):
                p.normal_(0.0, 0.2)
    save_checkpoint(root / "run" / "checkpoints", 1, {"dit": model, "ema": EMA(model)}, rng=False)
    (root / "run" / "train_config.json").write_text(json.dumps(cfg.to_dict()))
    torch.manual_seed(0)
    save_vae(root / "vae", VideoVAE(VAEConfig(base_channels=4, channel_mult=(1, 2, 2, 2), latent_channels=4,
                                              norm_groups=2)))  # fmt: skip
    world = make_world(seed=1, kind="street", texture_size=64)
    c2w = np.tile(np.eye(4), (5, 1, 1))
    c2w[:, 2, 3] = 0.05 * np.arange(5)
    K = intrinsics(48, 32, 60.0)
    frames = np.stack(list(render_frames(world, c2w, K, 48, 32)))  # [5, 32, 48, 3]
    cv2.imwrite(str(root / "first.png"), cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
    mp4 = write_mp4(root / "clip.mp4", frames, fps=24).read_bytes()
    members = {"mp4": mp4, "c2w.npy": _npy(c2w.astype(np.float32)), "K.npy": _npy(K.astype(np.float32)),
               "action.npy": _npy(np.zeros(2, np.int16)), "json": json.dumps({"caption": "a street"}).encode()}  # fmt: skip
    with tarfile.open(root / "shard-0000.tar", "w") as tar:
        for key in ("other", "clip7"):
            for suffix, data in members.items():
                ti = tarfile.TarInfo(f"{key}.{suffix}")
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
    return {"root": root, "run": root / "run", "vae": root / "vae"}


def _play(setup, out: Path, *extra: str, stdin: str | None = None):
    args = ["play", "--checkpoint", str(setup["run"]), "--vae", str(setup["vae"]), "--out", str(out),
            "--device", "cpu", *extra]  # fmt: skip
    return CliRunner().invoke(app, args, input=stdin)


def test_play_live_keys_from_piped_stdin(setup, tmp_path):
    first = str(setup["root"] / "first.png")
    r = _play(
        setup, tmp_path / "live.mp4", "--first-frame", first, "--live", stdin="w\nw a\nzz\n\nright\nq\nw\n"
    )
    assert r.exit_code == 0, r.output
    assert "ignored line 'zz'" in r.output  # a typo does not stop the session
    assert "chunk 4:" in r.output and "chunk 5:" not in r.output  # 'q' ended it before the last 'w'
    assert r.output.count("ms generate") == 4 and "frames/s" in r.output
    info = probe(tmp_path / "live.mp4")
    assert (info.num_frames, info.width, info.height) == (1 + 4 * (4 * 5 - 1), 48, 32)  # first + 4 chunks
    eof = _play(setup, tmp_path / "eof.mp4", "--first-frame", first, "--live", stdin="s\n")  # ends at EOF
    assert eof.exit_code == 0, eof.output
    assert probe(tmp_path / "eof.mp4").num_frames == 1 + 4 * (2 * 4 - 1)


def test_play_live_follows_the_same_path_as_the_key_script(setup, tmp_path):
    first = str(setup["root"] / "first.png")
    a = _play(setup, tmp_path / "a.mp4", "--first-frame", first, "--live", stdin="w\nd left\n")
    b = _play(setup, tmp_path / "b.mp4", "--first-frame", first, "--keys", "W*4 D+left*4")
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_play_from_a_shard_sample(setup, tmp_path):
    r = _play(setup, tmp_path / "s.mp4", "--shard", str(setup["root"] / "shard-0000.tar"), "--sample", "clip7",
              "--keys", "W*4", "--steps", "2")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "sample clip7" in r.output and probe(tmp_path / "s.mp4").num_frames == 1 + 4 * 7
    bad = _play(setup, tmp_path / "x.mp4", "--shard", str(setup["root"] / "shard-0000.tar"), "--sample", "nope",
                "--keys", "W")  # fmt: skip
    assert bad.exit_code == 2 and "no sample with key 'nope'" in bad.output


def test_play_needs_exactly_one_action_source(setup, tmp_path):
    r = _play(
        setup, tmp_path / "x.mp4", "--first-frame", str(setup["root"] / "first.png"), "--keys", "W", "--live"
    )
    assert r.exit_code == 2 and "exactly one of --keys" in r.output
    assert not (tmp_path / "x.mp4").exists()
