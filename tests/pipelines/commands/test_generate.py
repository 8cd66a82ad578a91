"""``wp generate``: a tiny trained-run layout (checkpoint + config), a micro VAE and a rendered first
frame in; an mp4 with the expected frame count out, the same bytes for the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from pipelines.cli import app
from wpdata.geometry.tum import write_tum
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


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """run/ (train_config.json, checkpoints/step_00000001 with dit + ema), vae/, first.png, first.mp4."""
    root = tmp_path_factory.mktemp("generate")
    cfg = TrainConfig.from_dict({"model": {"preset": "tiny", "overrides": MODEL}})
    torch.manual_seed(0)
    model = WorldPlayDiT(cfg.model.dit_config())
    with torch.no_grad():  # wake the zero-initialised layers so the output is not trivially zero
        for p in model.parameters():
            if bool((p == 0).all()):
                p.normal_(0.0, 0.2)
    save_checkpoint(root / "run" / "checkpoints", 1, {"dit": model, "ema": EMA(model)}, rng=False)
    (root / "run" / "train_config.json").write_text(json.dumps(cfg.to_dict()))
    (root / "train.yaml").write_text(json.dumps(cfg.to_dict()))  # JSON is YAML
    torch.manual_seed(0)
    save_vae(root / "vae", VideoVAE(VAEConfig(base_channels=4, channel_mult=(1, 2, 2, 2), latent_channels=4,
                                              norm_groups=2)))  # fmt: skip
    world = make_world(seed=1, kind="street", texture_size=64)
    frame = next(render_frames(world, np.eye(4)[None], intrinsics(36, 34), 36, 34))  # cropped to 32x32
    cv2.imwrite(str(root / "first.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    write_mp4(root / "first.mp4", np.stack([frame, frame[::-1]]), fps=8)
    return {"root": root, "run": root / "run", "vae": root / "vae"}


def _generate(setup, out: Path, *extra: str):
    args = ["generate", "--checkpoint", str(setup["run"]), "--vae", str(setup["vae"]),
            "--first-frame", str(setup["root"] / "first.png"), "--out", str(out), "--steps", "2",
            "--device", "cpu", *extra]  # fmt: skip
    return CliRunner().invoke(app, args)


def test_generate_from_a_key_script_writes_the_expected_frames(setup, tmp_path):
    r = _generate(setup, tmp_path / "a.mp4", "--keys", "W*6 D*2")  # 8 steps: 2 chunks after the first
    assert r.exit_code == 0, r.output
    info = probe(tmp_path / "a.mp4")
    assert (info.num_frames, info.width, info.height) == (1 + 4 * (12 - 1), 32, 32)
    assert "chunk 1:" in r.output and "chunk 2:" in r.output and "chunk 3:" not in r.output
    assert "frames/s" in r.output and "45 frames" in r.output
    again = _generate(setup, tmp_path / "b.mp4", "--keys", "W*6 D*2")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    other = _generate(setup, tmp_path / "c.mp4", "--keys", "W*6 D*2", "--seed", "1")
    assert other.exit_code == 0, other.output
    assert (tmp_path / "a.mp4").read_bytes() != (tmp_path / "c.mp4").read_bytes()


def test_generate_from_a_camera_path_without_memory(setup, tmp_path):
    c2w = np.tile(np.eye(4), (25, 1, 1))  # 25 frames -> latents 0..6: 6 steps -> 2 chunks (one padded)
    c2w[:, 2, 3] = 0.02 * np.arange(25)
    write_tum(tmp_path / "cam.txt", np.arange(25) / 24.0, c2w)
    ckpt = setup["run"] / "checkpoints" / "step_00000001"
    r = CliRunner().invoke(app, [
        "generate", "--checkpoint", str(ckpt), "--config", str(setup["root"] / "train.yaml"),
        "--vae", str(setup["vae"]), "--first-frame", str(setup["root"] / "first.mp4"),
        "--path", str(tmp_path / "cam.txt"), "--out", str(tmp_path / "p.mp4"), "--steps", "1",
        "--no-memory", "--no-ema", "--device", "cpu",
    ])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert probe(tmp_path / "p.mp4").num_frames == 45 and "memory none" in r.output
    r = _generate(setup, tmp_path / "q.mp4", "--path", str(tmp_path / "cam.txt"), "--chunks", "1")
    assert r.exit_code == 0, r.output
    assert probe(tmp_path / "q.mp4").num_frames == 1 + 4 * (8 - 1)


def test_generate_rejects_bad_options(setup, tmp_path):
    r = _generate(setup, tmp_path / "x.mp4", "--keys", "W*4", "--path", str(tmp_path / "cam.txt"))
    assert r.exit_code == 2 and "exactly one of --keys" in r.output
    r = _generate(setup, tmp_path / "x.mp4", "--keys", "Q*4")
    assert r.exit_code == 2 and "unknown key" in r.output
    r = CliRunner().invoke(
        app,
        [
            "generate",
            "--checkpoint",
            str(tmp_path),
            "--vae",
            str(setup["vae"]),
            "--first-frame",
            "f.png",
            "--keys",
            "W",
            "--out",
            str(tmp_path / "x.mp4"),
        ],
    )
    assert r.exit_code == 2 and "neither a run folder" in r.output
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.slow
def test_generate_with_an_embedded_caption(setup, tmp_path):
    r = _generate(setup, tmp_path / "cap.mp4", "--keys", "W*4", "--caption", "a sunny street")
    assert r.exit_code == 0, r.output
    assert probe(tmp_path / "cap.mp4").num_frames == 29
