"""`wp train-vae` end to end on a shard this test writes (rendered frames, documented layout)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from manifests.layout import num_latents
from pipelines.cli import app
from pipelines.commands.train_vae import load_sections, shard_urls
from wpdata.synth import intrinsics, make_world, render_frames, walking
from wpdata.video import write_mp4


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _write_shard(tmp: Path, n: int = 2, T: int = 9) -> Path:
    world, K = make_world(seed=1, kind="street", texture_size=64), intrinsics(32, 32)
    path = tmp / "shards" / "shard-0000.tar"
    path.parent.mkdir(parents=True)
    with tarfile.open(path, "w") as tar:
        for i in range(n):
            c2w = walking(world, T=T, fps=8.0, seed=i)
            frames = np.stack(list(render_frames(world, c2w, K, 32, 32)))
            mp4 = write_mp4(tmp / f"c{i}.mp4", frames, fps=8, threads=1).read_bytes()
            meta = {"item_id": f"c{i}", "caption": "a street", "fps": 8.0, "width": 32, "height": 32}
            meta |= {
                "num_frames": T,
                "num_latents": num_latents(T),
                "source": {},
                "scores": {},
                "provenance": {},
            }
            members = {
                "mp4": mp4,
                "c2w.npy": _npy(c2w.astype(np.float32)),
                "K.npy": _npy(K.astype(np.float32)),
                "action.npy": _npy(np.zeros(num_latents(T), np.int16)),
                "json": json.dumps(meta).encode(),
            }
            for suffix, data in members.items():
                info = tarfile.TarInfo(f"c{i}.{suffix}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path.parent


@pytest.mark.slow
def test_train_vae_command_trains_and_resumes(tmp_path: Path) -> None:
    shards = _write_shard(tmp_path)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "train:\n  vae: {base_channels: 4, channel_mult: [1, 2, 2, 2], latent_channels: 4, norm_groups: 2}\n"
        "  num_frames: 5\n  log_every: 1\n  sample_every: 2\n  ckpt_every: 2\n"
        "data:\n  batch_size: 1\n  window_latents: 2\n  shuffle_buffer: 0\n"
    )
    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["train-vae", "--shards", str(shards), "--out", str(out), "-c", str(cfg), "--steps", "2"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "vae" / "model.safetensors").is_file() and (out / "checkpoints" / "step_00000002").is_dir()
    result = runner.invoke(
        app, ["train-vae", "--shards", str(shards), "--out", str(out), "-c", str(cfg), "--steps", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "resumed from" in result.output and (out / "checkpoints" / "step_00000003").is_dir()


def test_config_sections_and_bad_inputs(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("train:\n  steps: 5\n")
    sections = load_sections(tmp_path / "c.yaml")
    assert sections["train"]["steps"] == 5 and sections["train"]["vae_preset"] == "tiny"
    assert sections["data"]["batch_size"] == 2
    result = CliRunner().invoke(app, ["train-vae", "--shards", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no *.tar shards" in result.output
    assert shard_urls("a-{000..001}.tar") == "a-{000..001}.tar"
