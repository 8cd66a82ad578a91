"""`wp demo` end to end on the smallest world: every step runs and every manifest validates."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from manifests.io import read_manifest
from manifests.validate import validate_path
from pipelines.demo import run_demo


@pytest.mark.slow
def test_demo_runs_every_pipeline_and_resumes(ray_cluster, tmp_path: Path) -> None:
    console = Console(file=open(tmp_path / "log.txt", "w"), width=120)  # noqa: SIM115
    first = run_demo(tmp_path / "demo", scale="tiny", console=console)
    tables = {validate_path(p)[0]: p for p in first["manifests"]}
    assert set(tables) == {
        "sources",
        "clips",
        "scenes",
        "renders",
        "annotations",
        "shards",
        "samples",
        "latents",
    }
    for p in first["manifests"]:
        assert validate_path(p)[1] == [], p
    world = first["world"]
    sources = read_manifest(tables["sources"]).to_pylist()
    # every clip of the world and of the defects set has a sources row
    n_inputs = len(list(world["clips_dir"].glob("*.mp4"))) + len(
        list((world["defects_labels"].parent / "clips").glob("*.mp4"))
    )
    assert len(sources) == n_inputs
    clips = read_manifest(tables["clips"]).to_pylist()
    ok_sources = {s["source_id"] for s in sources if s["status"] == "ok"}
    assert {c["source_id"] for c in clips} <= ok_sources
    kept = {c["clip_id"] for c in clips if c["status"] == "ok"}
    assert kept, "the tiny world must give kept clips, or the later steps test nothing"
    scenes = read_manifest(tables["scenes"]).to_pylist()
    assert len(scenes) == len(world["scenes"]) and any(s["status"] == "ok" for s in scenes)
    renders = [r for r in read_manifest(tables["renders"]).to_pylist() if r["status"] == "ok"]
    assert renders and all(r["revisit_fraction"] > 0 for r in renders)
    kept |= {r["render_id"] for r in renders}  # renders are annotated, sharded and encoded like clips
    annotations = read_manifest(tables["annotations"]).to_pylist()
    assert {a["item_id"] for a in annotations} == kept and all(a["status"] == "ok" for a in annotations)
    samples = read_manifest(tables["samples"]).to_pylist()
    assert {s["item_id"] for s in samples if s["status"] == "ok"} == kept
    latents = read_manifest(tables["latents"]).to_pylist()
    assert {r["item_id"] for r in latents if r["status"] == "ok"} == kept
    assert (tmp_path / "demo" / "vae" / "vae" / "model.safetensors").exists() or list(
        (tmp_path / "demo" / "vae").rglob("model.safetensors")
    )
    # a rerun reuses the world and resumes: same manifests
    second = run_demo(tmp_path / "demo", scale="tiny", console=console)
    for a, b in zip(first["manifests"], second["manifests"], strict=True):
        assert read_manifest(a).equals(read_manifest(b))
