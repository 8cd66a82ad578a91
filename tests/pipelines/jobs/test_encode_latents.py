"""Latent pre-encoding in ``wp shard`` with real Ray and a tiny saved VAE: latent files of the right
shape and values, shards that carry them through our reader, byte-identical reruns, resume, a broken
VAE as failed rows, and latent paths in ``wp export hy-worldplay``."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from typer.testing import CliRunner

from manifests.io import read_manifest
from manifests.layout import num_latents
from pipelines.jobs.encode_latents import LatentFailure, LatentFile
from pipelines.jobs.encode_latents_stage import METADATA_KEY
from pipelines.jobs.shard import shard
from pipelines.jobs.shard_config import load_shard_config

pytestmark = pytest.mark.slow  # several Ray jobs (each ~5-10 s on 2 shared cores)

HELPER = Path(__file__).resolve().parents[2] / "wpdata" / "shards" / "annotated_root.py"
LENGTHS = (13, 11)  # 11 frames: the VAE encodes the first 9 (num_latents(11) = 3 latents)


def _helper():
    spec = importlib.util.spec_from_file_location("latents_annotated_root", HELPER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cfg(vae_path: Path, **latents):
    return load_shard_config(overrides={"latents": {"vae_path": str(vae_path), **latents}})


def _bytes_of(folder: Path, pattern: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob(pattern))}


@pytest.fixture(scope="module")
def job(tmp_path_factory, ray_cluster) -> dict:
    """Two annotated 64x48 clips (full pose tracks and action records, non-zero caption embeddings),
    a tiny VAE, and one shard run."""
    from wpdata.actions.store import actions_from_poses
    from wpdata.poses import PoseTrack, load_track, save_track
    from wpmodel.vae import VideoVAE, save_vae, vae_config

    root = tmp_path_factory.mktemp("root")
    info = _helper().make_annotated_root(root, lengths=LENGTHS)
    for i, cid in enumerate(info["ids"]):
        emb = np.linspace(-1, 1, 384, dtype=np.float32) + i  # [384]
        np.save(root / "annotations" / f"{cid}.caption_emb.npy", emb)
        poses = root / "annotations" / f"{cid}.poses.npz"
        with np.load(poses) as z:  # a full pose track, as wp annotate writes it (the export reads it)
            track = PoseTrack(z["c2w"], z["K"], 64, 48, "sekai", z["registered"])
        save_track(poses, track)
        assert load_track(poses).num_frames == LENGTHS[i]
        actions_from_poses(track.c2w).save(root / "annotations" / f"{cid}.actions.npz")
    torch.manual_seed(0)
    vae = VideoVAE(vae_config("tiny"))
    vae.set_latent_stats(shift=0.1, scale=2.0)
    vae_dir = save_vae(tmp_path_factory.mktemp("vae") / "tiny", vae.eval())
    out = tmp_path_factory.mktemp("out")
    result = shard(root, out, config=_cfg(vae_dir), progress=False)
    return {"root": root, "out": out, "vae": vae, "vae_dir": vae_dir, "result": result, **info}


def _latent_rows(out: Path) -> dict[str, dict]:
    return {r["sample_key"]: r for r in read_manifest(out / "manifests" / "latents.parquet").to_pylist()}


def test_latent_files_have_shape_values_and_metadata(job):
    from wpdata.video import decode_frames

    rows = _latent_rows(job["out"])
    assert sorted(r["item_id"] for r in rows.values()) == sorted(job["ids"])
    for cid, T in zip(job["ids"], LENGTHS, strict=True):
        row = next(r for r in rows.values() if r["item_id"] == cid)
        assert row["status"] == "ok", row["error"]
        L = num_latents(T)
        assert row["latent_shape"] == [16, L, 48 // 8, 64 // 8] and row["dtype"] == "float16"
        path = job["out"] / "manifests" / row["path"]
        tensors = safetensors.torch.load(path.read_bytes())
        lat = tensors["latent"].permute(1, 0, 2, 3)  # stored time-major [L, C, h, w] -> [C, L, h, w]
        assert lat.dtype == torch.float16 and list(lat.shape) == row["latent_shape"]
        frames = decode_frames(job["mp4"][cid], 0, 4 * (L - 1) + 1)  # [n, H, W, 3]
        x = torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float() / 127.5 - 1.0
        with torch.no_grad():
            want = job["vae"].normalize(job["vae"].encode(x).mode())[0]  # [C, L, h, w]
        assert torch.allclose(lat.float(), want, atol=2e-2, rtol=1e-2)
        assert tensors["caption_embedding"].abs().sum() > 0
        assert safetensors.safe_open(path, "pt").metadata()["layout"] == "TCHW"
        meta = json.loads(safetensors.safe_open(path, "pt").metadata()[METADATA_KEY])
        assert meta["scaling_factor"] == 2.0 and meta["shift_factor"] == pytest.approx(0.1)
        assert (
            meta["dtype"] == "float16"
            and meta["vae"] == "tiny:VideoVAE"
            and meta["vae_hash"] == row["vae_hash"]
        )


def test_shards_carry_latents_through_our_reader(job):
    from wpmodel.data import make_loader

    tars = sorted((job["out"] / "shards").glob("*.tar"))
    with tarfile.open(tars[0]) as tf:
        names = tf.getnames()
    assert sum(n.endswith(".latent.safetensors") for n in names) == len(LENGTHS)
    samples = read_manifest(job["out"] / "manifests" / "samples.parquet").to_pylist()
    assert {r["status"] for r in samples} == {"ok"}
    loader = make_loader([str(t) for t in tars], 1, latents=True, rank=0, world_size=1)
    seen = {}
    for batch in loader:
        lat = batch["latents"]  # [B, T_lat, C, h, w]
        assert lat.ndim == 5 and lat.shape[0] == 1 and tuple(lat.shape[2:]) == (16, 6, 8)
        assert batch["caption_embedding"].abs().sum() > 0 and bool(batch["has_caption"][0])
        seen[batch["keys"][0]] = lat.shape[1]
    assert sorted(seen.values()) == sorted(num_latents(T) for T in LENGTHS)


def test_rerun_is_byte_identical_and_resume_skips(job, tmp_path):
    out2 = tmp_path / "out2"
    shard(job["root"], out2, config=_cfg(job["vae_dir"]), progress=False)
    assert _bytes_of(out2 / "latents", "*.safetensors") == _bytes_of(job["out"] / "latents", "*.safetensors")
    assert _bytes_of(out2 / "shards", "*.tar") == _bytes_of(job["out"] / "shards", "*.tar")
    again = shard(job["root"], out2, config=_cfg(job["vae_dir"]), progress=False)
    assert again.latents.processed == 0 and len(again.skipped_latents) == len(LENGTHS)
    assert len(again.skipped_shards) == 1
    assert _bytes_of(out2 / "shards", "*.tar") == _bytes_of(job["out"] / "shards", "*.tar")


def test_broken_vae_gives_failed_rows_not_a_crash(job, tmp_path):
    from pipelines.cli import app

    broken = tmp_path / "broken_vae"
    broken.mkdir()
    (broken / "config.json").write_text('{"_class_name": "VideoVAE", "latent_channels": 16}')
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    out = tmp_path / "out"
    args = ["shard", str(job["root"]), "-o", str(out), "--vae", str(broken), "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert f"samples: failed {len(LENGTHS)}" in res.output
    rows = _latent_rows(out)
    assert len(rows) == len(LENGTHS)
    for r in rows.values():
        assert r["status"] == "failed" and "setup of stage 'encode_latents' failed" in r["error"]
        assert "model.safetensors" in r["error"]
    samples = read_manifest(out / "manifests" / "samples.parquet").to_pylist()
    assert {r["status"] for r in samples} == {"failed"}
    assert all("latent encoding failed" in r["error"] for r in samples)
    assert not list((out / "shards").glob("*.tar"))


def test_stage_encodes_a_window(job, tmp_path):
    from pipelines.jobs.encode_latents_stage import EncodeLatentsStage, LatentTask
    from pipelines.jobs.shard_config import LatentsConfig
    from wpdata.video import decode_frames

    cid = job["ids"][0]  # 13 frames; the window [4, 13) has 3 latents
    task = LatentTask("k_w000004", cid, f"../clips/{job['mp4'][cid].name}", 4, 9, True, 64, 48, None)
    cfg = LatentsConfig(vae_path=str(job["vae_dir"]), dtype="float32", chunk_frames=4)
    stage = EncodeLatentsStage({task.sample_key: task}, job["root"], tmp_path, cfg, "tiny", "h")
    stage.setup()
    row = stage.process({"sample_key": task.sample_key})
    assert row["latent_shape"] == [16, 3, 6, 8] and row["has_caption_embedding"] is False
    data = (tmp_path / "latents" / "k_w000004.safetensors").read_bytes()
    lat = safetensors.torch.load(data)["latent"].permute(1, 0, 2, 3)  # stored [L, C, h, w]
    x = torch.from_numpy(decode_frames(job["mp4"][cid], 4, 13)).permute(3, 0, 1, 2)[None].float() / 127.5 - 1
    with torch.no_grad():
        want = job["vae"].normalize(job["vae"].encode(x).mode())[0]  # [C, 3, h, w]
    assert lat.dtype == torch.float32 and torch.allclose(lat, want, atol=1e-4)
    bad = LatentTask("bad", cid, f"../clips/{job['mp4'][cid].name}", 0, 13, False, 32, 32, None)
    stage.tasks["bad"] = bad
    with pytest.raises(ValueError, match="64x48 but the annotation says 32x32"):
        stage.process({"sample_key": "bad"})


def test_export_lists_latent_paths(job, tmp_path):
    from pipelines.cli import app

    exp = tmp_path / "exp"
    args = ["export", "hy-worldplay", str(job["root"]), "-o", str(exp), "--shards-root", str(job["out"])]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert f"({len(LENGTHS)} with latents)" in res.output
    entries = json.loads((exp / "dataset.json").read_text())
    paths = [(exp / e["latent_path"]).resolve() for e in entries]
    assert sorted(p.name for p in paths) == sorted(p.name for p in (job["out"] / "latents").iterdir())
    assert all(p.is_file() for p in paths)
    res = CliRunner().invoke(app, ["export", "hy-worldplay", str(job["root"]), "-o", str(tmp_path / "e2")])
    assert res.exit_code == 0 and "(0 with latents)" in res.output  # the root itself has no latents


def test_producers_and_config_checks(tmp_path):
    f = tmp_path / "a.safetensors"
    f.write_bytes(b"abc")
    ok = LatentFile(str(f), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert ok() == b"abc"
    f.write_bytes(b"abd")
    with pytest.raises(ValueError, match="changed since it was encoded"):
        ok()
    with pytest.raises(RuntimeError, match="latent encoding failed: boom"):
        LatentFailure("boom")()
    with pytest.raises(ValueError, match="latents.dtype"):
        load_shard_config(overrides={"latents": {"dtype": "int8"}})
    with pytest.raises(ValueError, match="latents.kind"):
        load_shard_config(overrides={"latents": {"kind": "onnx"}})
