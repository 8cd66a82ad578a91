"""``curate_clips`` on a real embedded Ray with small rendered clips: shots, drops, bad inputs, resume, poses."""

from __future__ import annotations

import json
import textwrap
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from manifests.ids import clip_id
from pipelines.jobs.curate_clips import curate_clips
from pipelines.jobs.curate_config import load_config
from pipelines.jobs.curate_shots import read_shots
from pipelines.runtime.store import list_parts, manifest_path
from wpdata.synth import intrinsics, make_world, render_frames, walking, write_sekai_clip
from wpdata.video import write_mp4

REPO = Path(__file__).resolve().parents[3]
W, H, FPS = 160, 96, 10
KEEP_ALL = {  # thresholds that keep any clip, so the export path runs; crowd off for speed
    "thresholds": {
        "max_shake": 1e9,
        "min_motion_reliable": 0.0,
        "min_motion": 0.0,
        "min_sharpness": 0.0,
        "min_width": 1,
        "min_height": 1,
        "max_overlay_area": 1.0,
        "min_overlay_evidence": 2.0,
    },
    "analysis": {"crowd": False},
    "export": {"target": "320x180"},
}


def _walk(seed: int, seconds: float, kind: str = "street") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frames [T, H, W, 3] uint8, c2w [T, 4, 4], K [3, 3]) of a walk through a synthetic world."""
    world = make_world(seed, kind)
    c2w = walking(world, int(seconds * FPS), FPS, seed)
    K = intrinsics(W, H)
    return np.stack(list(render_frames(world, c2w, K, W, H))), c2w, K


def _rows(out: Path, table: str) -> list[dict]:
    return pq.read_table(manifest_path(out, table)).to_pylist()


def _config(**extra: dict):
    over = {k: dict(v) for k, v in KEEP_ALL.items()}
    for k, v in extra.items():
        over[k] = {**over.get(k, {}), **v}
    return load_config(None, over)


def test_two_shot_source_becomes_two_clips(ray_cluster, tmp_path: Path) -> None:
    a, _, _ = _walk(1, 4.0, "street")
    b, _, _ = _walk(7, 4.0, "room")
    src = write_mp4(tmp_path / "in" / "two_shots.mp4", np.concatenate([a, b]), FPS, threads=1)
    out = tmp_path / "out"
    result = curate_clips([src.parent], out, config=_config(), progress=False)
    assert result.sources.total.by_status["ok"] == 1
    clips = sorted(_rows(out, "clips"), key=lambda r: r["start_frame"])
    assert len(clips) == 2, clips
    first, second = clips
    assert first["end_frame"] <= 40 <= second["start_frame"]  # the cut at frame 40 separates them
    for r in clips:
        assert r["status"] == "ok" and r["clip_id"] == clip_id(
            r["source_id"], r["start_frame"], r["end_frame"]
        )
        assert (out / "manifests" / r["path"]).is_file() and (out / "manifests" / r["meta_path"]).is_file()
        assert r["end_frame"] - r["start_frame"] >= 3 * FPS
    with av.open(str(out / "manifests" / first["path"])) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (320, 180)
        assert sum(1 for _ in c.decode(s)) == first["end_frame"] - first["start_frame"]


def test_short_shot_becomes_one_too_short_clip_row(ray_cluster, tmp_path: Path) -> None:
    a, _, _ = _walk(1, 4.0, "street")
    b, _, _ = _walk(7, 2.0, "room")  # 20 frames: 14 once trimmed, under min_s = 3 s
    src = write_mp4(tmp_path / "in" / "short_second.mp4", np.concatenate([a, b]), FPS, threads=1)
    out = tmp_path / "out"
    curate_clips([src.parent], out, config=_config(), progress=False)
    (source,) = _rows(out, "sources")
    assert source["status"] == "ok"
    kept, short = sorted(_rows(out, "clips"), key=lambda r: r["start_frame"])
    assert kept["status"] in ("ok", "dropped") and "too_short" not in kept["drop_reasons"]
    assert kept["end_frame"] <= 40
    assert (short["start_frame"], short["end_frame"]) == (40, 60)  # untrimmed
    assert short["status"] == "dropped" and short["drop_reasons"] == ["too_short"], short
    assert short["clip_id"] == clip_id(source["source_id"], 40, 60)
    assert short["duration_s"] == pytest.approx(2.0) and (short["width"], short["height"]) == (W, H)
    assert short["path"] is None and short["error"] is None
    shots = read_shots(out, source["source_id"])
    assert shots["short_shots"] == [[40, 60]] and shots["spans"] == [[kept["start_frame"], kept["end_frame"]]]


def _watermark(frames: np.ndarray) -> np.ndarray:
    out = frames.copy()  # [T, H, W, 3] uint8
    mark = np.zeros(frames.shape[1:], np.uint8)
    import cv2

    cv2.putText(mark, "WPTV", (W - 70, H - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
    on = mark > 0
    out[:, on] = (0.35 * out[:, on] + 0.65 * 255).astype(np.uint8)
    return out


def test_watermarked_clip_dropped_with_overlay_reason(ray_cluster, tmp_path: Path) -> None:
    frames, _, _ = _walk(3, 5.0)
    write_mp4(tmp_path / "in" / "clean.mp4", frames, FPS, threads=1)
    write_mp4(tmp_path / "in" / "marked.mp4", _watermark(frames), FPS, threads=1)
    out = tmp_path / "out"
    config = _config(thresholds={"min_overlay_evidence": 0.5, "max_overlay_area": 0.3})
    curate_clips([tmp_path / "in"], out, config=config, progress=False)
    sources = {r["source_id"]: Path(r["path"]).name for r in _rows(out, "sources")}
    by_name = {sources[r["source_id"]]: r for r in _rows(out, "clips")}
    marked = by_name["marked.mp4"]
    assert marked["status"] == "dropped"
    assert any(r.startswith("overlay:") for r in marked["drop_reasons"]), marked["drop_reasons"]
    assert not any(r.startswith("overlay:") for r in by_name["clean.mp4"]["drop_reasons"])


def _write_vfr(path: Path, frames: np.ndarray) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = t, Fraction(1, 1000)
            t += 100 if i % 3 else 250  # irregular: 100 ms, 100 ms, 250 ms, ...
            c.mux(s.encode(vf))
        c.mux(s.encode(None))
    return path


def test_bad_inputs_each_give_one_row_with_a_reason(
    ray_cluster, tmp_path: Path, write_rotated, write_audio_only
) -> None:
    frames, _, _ = _walk(5, 4.0)
    d = tmp_path / "in"
    good = write_mp4(d / "good.mp4", frames, FPS, threads=1)
    (d / "zero.mp4").write_bytes(b"")
    data = good.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (d / "not_video.mp4").write_text("this is not a video\n" * 50)
    write_audio_only(d / "audio.mp4")
    write_mp4(d / "one_frame.mp4", frames[:1], FPS, threads=1)
    _write_vfr(d / "vfr.mp4", frames[:30])
    write_rotated(d / "rotated.mp4", frames[:30], 90, fps=FPS)
    out = tmp_path / "out"
    result = curate_clips([d], out, config=_config(), progress=False)
    rows = {Path(r["path"]).name: r for r in _rows(out, "sources")}
    assert sorted(rows) == sorted(p.name for p in d.iterdir())
    for name in ("zero.mp4", "truncated.mp4", "not_video.mp4", "audio.mp4"):
        assert rows[name]["status"] == "failed" and rows[name]["error"], rows[name]
    assert rows["one_frame.mp4"]["drop_reasons"] == ["too_short"]
    assert rows["vfr.mp4"]["drop_reasons"] == ["variable_frame_rate"]
    assert rows["rotated.mp4"]["drop_reasons"] == ["rotated"]
    assert rows["good.mp4"]["status"] == "ok"
    clips = _rows(out, "clips")
    assert {r["source_id"] for r in clips} == {rows["good.mp4"]["source_id"]}
    assert result.clips.total.by_status["ok"] == len(clips) >= 1


KILLED_JOB = textwrap.dedent(
    """
    import json, sys
    from pipelines.jobs.curate_clips import curate_clips
    from pipelines.jobs.curate_config import load_config
    cfg = load_config(None, json.loads(sys.argv[3]))
    curate_clips([sys.argv[1]], sys.argv[2], config=cfg, num_cpus=1, workers=1, flush_rows=1, progress=False)
    """
)


@pytest.mark.slow
def test_killed_job_resumes_to_the_same_manifests(ray_cluster, kill_job_midway, tmp_path: Path) -> None:
    d = tmp_path / "in"
    for k in range(6):
        frames, _, _ = _walk(10 + k, 4.0, ("street", "room")[k % 2])
        write_mp4(d / f"walk{k}.mp4", frames, FPS, threads=1)
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    args = [str(d), str(killed), json.dumps(KEEP_ALL)]
    kill_job_midway(KILLED_JOB, args, lambda: len(list_parts(killed, "clips")) >= 2, timeout_s=240)
    assert not manifest_path(killed, "clips").exists()
    curate_clips([d], killed, config=_config(), progress=False)
    curate_clips([d], clean, config=_config(), progress=False)
    for table in ("sources", "clips"):
        assert _rows(killed, table) == _rows(clean, table)
    assert len(_rows(clean, "clips")) == 6
    names = sorted(p.name for p in (clean / "clips").iterdir())
    assert sorted(p.name for p in (killed / "clips").iterdir()) == names
    for n in names:
        assert (killed / "clips" / n).read_bytes() == (clean / "clips" / n).read_bytes(), n


def test_sekai_name_and_pose_slicing(ray_cluster, tmp_path: Path) -> None:
    world = make_world(21, "street")
    c2w = walking(world, 50, FPS, 21)
    K = intrinsics(W, H)
    mp4 = write_sekai_clip(tmp_path / "in", world, c2w, K, W, H, FPS, video_id="abcXYZ_9", start_frame=300)
    assert mp4.name == "abcXYZ_9_300_350.mp4"
    out = tmp_path / "out"
    curate_clips([mp4.parent], out, config=_config(), progress=False)
    clip = max(_rows(out, "clips"), key=lambda r: r["end_frame"] - r["start_frame"])
    start, end = clip["start_frame"], clip["end_frame"]
    assert clip["status"] == "ok" and 3 <= start < end <= 47  # 0.3 s trimmed at each end of a shot
    assert clip["source_video_id"] == "abcXYZ_9"
    assert (clip["source_start_frame"], clip["source_end_frame"]) == (300 + start, 300 + end)
    assert clip["pose_source"] == "sekai"
    with np.load(out / "manifests" / clip["pose_path"]) as z:
        np.testing.assert_allclose(z["c2w"], c2w[start:end], atol=1e-5)
        np.testing.assert_array_equal(z["frame_indices"], np.arange(end - start))
        k = z["K"][0]
    # 160x96 -> centre crop 160x90 (3 rows off the top) -> 320x180: focal x2, principal point moved
    np.testing.assert_allclose(
        k, [[2 * K[0, 0], 0, 2 * K[0, 2]], [0, 2 * K[1, 1], 2 * (K[1, 2] - 3)], [0, 0, 1]], atol=1e-3
    )
