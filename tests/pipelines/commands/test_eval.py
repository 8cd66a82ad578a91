"""``wp eval`` on a tiny checkpoint and tiny held-out shards of rendered clips: both protocols at the
paper's lengths, LPIPS with weights the test builds, report files written, SfM failure on the tiny
generated frames reported as "not computed", latent shards read with --latents."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import safetensors.numpy
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

from pipelines.cli import app
from wpdata.actions import latent_actions
from wpdata.synth import intrinsics, make_world, render_frames
from wpdata.video import write_mp4
from wpmodel.dit.model import WorldPlayDiT
from wpmodel.eval import LPIPS, encode_clip
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


def _members(world, L: int, z0: float, vae: VideoVAE, root: Path, name: str) -> dict[str, bytes]:
    T = 1 + 4 * (L - 1)
    c2w = np.tile(np.eye(4), (T, 1, 1))
    c2w[:, 2, 3] = z0 + 0.03 * np.arange(T)
    K = intrinsics(32, 32, 60.0)
    frames = np.stack(list(render_frames(world, c2w, K, 32, 32)))  # [T, 32, 32, 3]
    lat = encode_clip(vae, frames)[0].permute(1, 0, 2, 3).numpy()  # [C, L, h, w]
    return {"mp4": write_mp4(root / f"{name}.mp4", frames, fps=24, crf=0).read_bytes(),
            "c2w.npy": _npy(c2w.astype(np.float32)), "K.npy": _npy(K.astype(np.float32)),
            "action.npy": _npy(latent_actions(c2w).astype(np.int16)), "json": json.dumps({"caption": ""}).encode(),
            "latent.safetensors": safetensors.numpy.save({"latent": np.ascontiguousarray(lat)})}  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """run/ (tiny woken DiT), vae/ (micro VAE), held/ (a shard: two 12-latent clips and one too short),
    lpips.safetensors (LPIPS weights built here: no real ones exist on this machine)."""
    root = tmp_path_factory.mktemp("eval")
    cfg = TrainConfig.from_dict({"model": {"preset": "tiny", "overrides": MODEL}})
    torch.manual_seed(0)
    model = WorldPlayDiT(cfg.model.dit_config())
    with torch.no_grad():
        for p in model.parameters():
            if bool((p == 0).all()):
                p.normal_(0.0, 0.2)
    save_checkpoint(root / "run" / "checkpoints", 1, {"dit": model, "ema": EMA(model)}, rng=False)
    (root / "run" / "train_config.json").write_text(json.dumps(cfg.to_dict()))
    torch.manual_seed(0)
    vae = VideoVAE(
        VAEConfig(base_channels=4, channel_mult=(1, 2, 2, 2), latent_channels=4, norm_groups=2)
    ).eval()
    save_vae(root / "vae", vae)
    world = make_world(seed=2, kind="street", texture_size=64)
    (root / "held").mkdir()
    with torch.no_grad(), tarfile.open(root / "held" / "val-0000.tar", "w") as tar:
        for key, L, z0 in (("short4", 4, 0.0), ("clipA", 12, 0.0), ("clipB", 12, 0.5)):
            for suffix, data in _members(world, L, z0, vae, root, key).items():
                ti = tarfile.TarInfo(f"{key}.{suffix}")
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
    torch.manual_seed(0)
    lp = LPIPS("alex")
    with torch.no_grad():
        for k in range(5):
            getattr(lp, f"lin{k}").model[1].weight.uniform_(0.0, 1.0)
    save_file({k: v.contiguous() for k, v in lp.state_dict().items()}, str(root / "lpips.safetensors"))
    return {"root": root, "run": root / "run", "vae": root / "vae", "held": root / "held"}


def _eval(setup, out: Path, *extra: str):
    args = ["eval", "--checkpoint", str(setup["run"]), "--vae", str(setup["vae"]), "--shards", str(setup["held"]),
            "--out", str(out), "--steps", "1", "--device", "cpu", "--sfm-frames", "12", *extra]  # fmt: skip
    return CliRunner().invoke(app, args)


def test_eval_both_protocols_writes_the_report(setup, tmp_path):
    out = tmp_path / "rep"
    r = _eval(setup, out, "--lpips-weights", str(setup["root"] / "lpips.safetensors"), "--max-clips", "1",
              "--short-latents", "8")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "skip short4: 4 latents" in r.output and "clipB" not in r.output  # --max-clips 1
    for name in (
        "report.md",
        "report.csv",
        "report.json",
        *(f"{m}.png" for m in ("psnr", "ssim", "lpips", "rdist", "tdist")),
    ):
        assert (out / name).is_file(), name
    assert cv2.imread(str(out / "psnr.png")) is not None
    blob = json.loads((out / "report.json").read_text())
    short, long = blob["clips"]
    assert (short["protocol"], short["frames"], short["compared_frames"]) == ("short-term", 29, 16)
    assert (long["protocol"], long["frames"]) == ("long-term", 1 + 4 * (96 - 1))  # 4 x 24-latent windows
    assert long["compared_frames"] == 96 - 12  # every step after the first out leg
    assert 0 < short["psnr"] < 60 and -1 <= short["ssim"] <= 1 and short["lpips"] > 0
    assert (out / "videos" / "clipA.long.mp4").is_file()
    rows = {row["protocol"]: row for row in csv.DictReader((out / "report.csv").open())}
    assert float(rows["long-term"]["psnr"]) == pytest.approx(long["psnr"], abs=1e-5)
    md = (out / "report.md").read_text()
    # 32x32 frames of an untrained model give SfM nothing to reconstruct: said so, no number made up
    assert rows["short-term"]["rdist"] == "" and rows["short-term"]["rdist_note"].startswith("SfM failed")
    assert "not computed: SfM failed" in md and short["rdist"] is None
    assert len(blob["summaries"][1]["curves"]["psnr"]["frame"]) == 84


def test_eval_without_lpips_weights_says_not_computed_and_reads_latent_shards(setup, tmp_path):
    out = tmp_path / "rep"
    r = _eval(setup, out, "--protocol", "short", "--latents", "--no-poses", "--short-latents", "8")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((out / "report.csv").open()))
    assert len(rows) == 1 and rows[0]["clips"] == "2" and rows[0]["lpips"] == ""
    assert "no --lpips-weights" in rows[0]["lpips_note"] and "--no-poses" in rows[0]["tdist_note"]
    md = (out / "report.md").read_text()
    assert "not computed: no --lpips-weights given" in md
    r = _eval(setup, tmp_path / "bad", "--protocol", "sideways")
    assert r.exit_code == 2 and "--protocol must be" in r.output


def test_camera_errors_of_a_rendered_walk(tmp_path):
    """A rendered walk stands in for a perfect generator: SfM recovers its cameras, so the errors are
    near zero where the command matches and show a commanded turn the video did not make."""
    from scipy.spatial.transform import Rotation

    from pipelines.commands.eval import camera_errors
    from wpdata.synth import walking, write_sekai_clip

    world = make_world(0, "street")
    c2w, K = walking(world, 61, 24.0, seed=0), intrinsics(320, 180)
    mp4 = write_sekai_clip(tmp_path, world, c2w, K, 320, 180, 24.0, "walk")
    cmd = c2w[::4].copy()  # [16, 4, 4] per latent
    cmd[8:, :3, :3] = cmd[8:, :3, :3] @ Rotation.from_rotvec([0, 0.1, 0]).as_matrix()  # turned 0.1 rad
    m, why = camera_errors(mp4, K, cmd, {"no_poses": False, "sfm_frames": 16})
    assert why == "" and m is not None
    assert np.all(m.rdist_per_frame[:8] < 0.02) and np.allclose(m.rdist_per_frame[8:], 0.1, atol=0.02)
    assert m.tdist < 0.02  # the centres were not touched
