"""``annotate`` job end to end on a real embedded Ray: given/estimated poses, actions, captions, embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from manifests.ids import clip_id
from manifests.io import read_manifest, write_manifest
from manifests.schemas import rows_to_table
from manifests.validate import validate_path
from pipelines.jobs.annotate import annotate
from pipelines.jobs.annotate_config import load_annotate_config

W, H, FPS, T = 192, 108, 15.0, 33


def _world_clips(tmp: Path, trajs: list[str], seed: int = 3) -> list[Path]:
    from wpdata.synth import make_world, trajectories, write_sekai_clip
    from wpdata.synth.cameras import intrinsics

    world = make_world(seed, "street", n_boxes=8, texture_size=128)
    K = intrinsics(W, H)
    out = []
    for i, kind in enumerate(trajs):
        c2w = getattr(trajectories, kind)(world, T, FPS, seed=seed + i)
        out.append(write_sekai_clip(tmp / "src", world, c2w, K, W, H, FPS, f"vid{i}"))
    return out


def _clips_manifest(job: Path, clips: list[tuple[str, Path, Path | None]]) -> Path:
    """A clips manifest of kept clips (id, mp4, poses) as ``wp curate clips`` writes it, plus a dropped one."""
    rows = []
    for cid, mp4, pose in clips:
        rows.append(
            {
                "clip_id": cid,
                "source_id": f"src-{mp4.stem}",
                "start_frame": 0,
                "end_frame": T,
                "fps": FPS,
                "width": W,
                "height": H,
                "path": str(Path("..") / ".." / "src" / mp4.name),
                "pose_path": None if pose is None else str(Path("..") / ".." / "src" / pose.name),
                "status": "ok",
                "drop_reasons": [],
            }
        )
    rows.append({**rows[0], "clip_id": "dropped-one", "status": "dropped", "drop_reasons": ["shake"]})
    path = job / "manifests" / "clips.parquet"
    write_manifest(path, rows_to_table("clips", rows))
    return path


def _cid(mp4: Path) -> str:
    return clip_id(f"src-{mp4.stem}", 0, T)


@pytest.fixture(scope="module")
def given_job(tmp_path_factory, ray_cluster) -> dict:
    tmp = tmp_path_factory.mktemp("annot")
    mp4s = _world_clips(tmp, ["walking", "drone"])
    bad = tmp / "src" / "broken.npz"
    bad.write_text("not an npz")
    clips = [(_cid(m), m, m.with_suffix(".npz")) for m in mp4s] + [("bad-poses", mp4s[0], bad)]
    job = tmp / "curated"
    _clips_manifest(job, clips)
    summary = annotate([job], job, config=load_annotate_config(), progress=False)
    return {"job": job, "mp4s": mp4s, "summary": summary}


def _rows(job: Path) -> dict[str, dict]:
    return {r["item_id"]: r for r in read_manifest(job / "manifests" / "annotations.parquet").to_pylist()}


def test_given_poses_give_actions_captions_and_embeddings(given_job) -> None:
    job = given_job["job"]
    rows = _rows(job)
    assert len(rows) == 3  # the dropped clip is not annotated; every kept clip has a row
    ok = [r for r in rows.values() if r["status"] == "ok"]
    assert len(ok) == 2
    for r in ok:
        assert r["pose_source"] == "sekai" and r["num_frames"] == T and r["num_latents"] == (T - 1) // 4 + 1
        assert sum(r["action_histogram"]) == r["num_latents"] and len(r["action_histogram"]) == 81
        assert r["captioner"] == "structured" and len(r["caption"]) > 20
        emb = np.load(job / "manifests" / r["caption_embedding_path"])
        assert emb.shape == (384,) and abs(float(np.linalg.norm(emb)) - 1) < 1e-4
        with np.load(job / "manifests" / r["actions_path"]) as z:
            assert z["latent_labels"].shape == (r["num_latents"],)
            assert z["frame_labels"].shape == (T,)
    # a walking camera moves forward: W (trans 1) dominates its non-idle latents
    walk = rows[_cid(given_job["mp4s"][0])]
    hist = np.asarray(walk["action_histogram"]).reshape(9, 9)
    assert hist[1].sum() + hist[5].sum() + hist[6].sum() >= hist[1:].sum() * 0.5
    assert validate_path(job / "manifests" / "annotations.parquet")[1] == []


def test_malformed_pose_file_is_a_failed_row_with_the_reason(given_job) -> None:
    bad = _rows(given_job["job"])["bad-poses"]
    assert bad["status"] == "failed" and "broken.npz" in bad["error"]


def test_rerun_resumes_and_gives_identical_manifest(given_job) -> None:
    job = given_job["job"]
    before = (job / "manifests" / "annotations.parquet").read_bytes()
    summary = annotate([job], job, config=load_annotate_config(), progress=False)
    assert summary.skipped == 2 and summary.processed == 1  # only the failed item is retried
    assert (job / "manifests" / "annotations.parquet").read_bytes() == before


def test_export_hy_worldplay_round_trips_actions_and_poses(given_job, tmp_path) -> None:
    import json

    from manifests.actions import hy_to_label
    from pipelines.jobs.export_hy import export_hy_worldplay

    job = given_job["job"]
    res = export_hy_worldplay(job, tmp_path / "hy")
    assert res.exported == 2 and set(res.skipped) == {"bad-poses"}
    listing = json.loads(res.list_path.read_text())
    assert len(listing) == 2
    rows = _rows(job)
    for entry in listing:
        pose_path = (res.list_path.parent / entry["pose_path"]).resolve()
        item = pose_path.name.removesuffix("_pose.json")
        poses = json.loads(pose_path.read_text())
        with np.load(job / "manifests" / rows[item]["pose_path"]) as z:
            c2w = z["c2w"].astype(np.float64)
        w2c0 = np.asarray(poses["0"]["w2c"])
        assert np.allclose(w2c0 @ c2w[0], np.eye(4), atol=1e-4)
        actions = json.loads((res.list_path.parent / entry["action_path"]).resolve().read_text())
        with np.load(job / "manifests" / rows[item]["actions_path"]) as z:
            latent = z["latent_labels"]
        decoded = [hy_to_label(actions[str(4 * i)]) for i in range(1, len(latent))]
        assert len(actions) == T and decoded == [int(x) for x in latent[1:]]  # the trainer reads frame 4i


def test_vlm_captions_in_batches_and_a_broken_model_fails_items_not_the_job(given_job, tmp_path) -> None:
    from wpdata.captions import build_tiny_vlm

    job = given_job["job"]
    model = build_tiny_vlm(tmp_path / "tiny-vlm", seed=0)
    cfg = load_annotate_config(
        None,
        {"captions": {"captioner": "vlm", "model_path": str(model), "max_new_tokens": 8, "batch_size": 2}},
    )
    out = tmp_path / "vlm"
    summary = annotate([job], out, config=cfg, progress=False)
    rows = _rows(out)
    ok = [r for r in rows.values() if r["status"] == "ok"]
    assert summary.total.by_status == {"ok": 2, "dropped": 0, "failed": 1}
    assert all(r["captioner"] == "vlm:tiny-vlm" and isinstance(r["caption"], str) for r in ok)
    assert all((out / "manifests" / r["caption_embedding_path"]).exists() for r in ok if r["caption"])

    broken = load_annotate_config(
        None, {"captions": {"captioner": "vlm", "model_path": str(tmp_path / "nope")}}
    )
    summary = annotate([job], tmp_path / "broken", config=broken, progress=False)
    rows = _rows(tmp_path / "broken")
    assert summary.total.by_status["failed"] == 3 and len(rows) == 3
    assert all("nope" in r["error"] for r in rows.values() if r["item_id"] != "bad-poses")


@pytest.mark.slow
def test_estimated_poses_match_the_given_ones_and_a_static_clip_fails(tmp_path, ray_cluster) -> None:
    from wpdata.synth import make_world, write_sekai_clip
    from wpdata.synth.cameras import intrinsics
    from wpdata.synth.trajectories import static, walking

    w, h, n, fps = 320, 180, 64, 24.0  # SfM needs more pixels and frames than the fast tests use
    world = make_world(0, "street")
    K = intrinsics(w, h)
    walk = write_sekai_clip(tmp_path / "src", world, walking(world, n, fps, seed=0), K, w, h, fps, "walk")
    still = write_sekai_clip(tmp_path / "src", world, static(world, n, fps, seed=1), K, w, h, fps, "still")
    job = tmp_path / "curated"
    _clips_manifest(job, [(f"c-{m.stem}", m, m.with_suffix(".npz")) for m in (walk, still)])
    cfg = load_annotate_config(None, {"poses": {"mode": "estimate"}, "captions": {"captioner": "none"}})
    annotate([job], job, config=cfg, progress=False)
    rows = _rows(job)
    moving, stay = rows[f"c-{walk.stem}"], rows[f"c-{still.stem}"]
    assert moving["status"] == "ok", moving["error"]
    assert moving["pose_source"] == "colmap" and moving["registered_fraction"] >= 0.8
    assert moving["pose_ate"] < 0.02 and moving["scale_rule"] == "median_depth"
    assert moving["reproj_error"] < 2.0 and moving["track_length"] > 2
    assert moving["pose_mapper"] in ("incremental", "global") and moving["rot_agreement_deg"] < 1.0
    assert moving["num_frames"] == n and sum(moving["action_histogram"]) == (n - 1) // 4 + 1
    assert stay["status"] == "failed" and "PoseEstimationError" in stay["error"]
