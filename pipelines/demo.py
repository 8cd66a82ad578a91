"""The main job on the embedded default: synthesise a small world, run every pipeline, report.

Later pipelines (curation, annotation, scenes, shards, training) add their step to
:func:`run_demo`; each step reads the demo folder and appends the manifests it wrote.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from manifests.validate import validate_path
from pipelines.runtime import ray_session
from pipelines.runtime.report import print_summary


def _synthesise(out: Path, seed: int, scale: str) -> dict:
    from wpdata.synth import make_demo_world

    world_dir = out / "world"
    marker = world_dir / ".complete"
    if marker.exists():  # a rerun reuses the world (same seed -> same files)
        scenes = sorted(p for p in (world_dir / "scenes").iterdir() if p.is_dir())
        clips = sorted((world_dir / "clips").glob("*.mp4"))
        return {
            "scenes": scenes,
            "clips_dir": world_dir / "clips",
            "clips": clips,
            "defects_labels": world_dir / "defects" / "labels.parquet",
        }
    world = make_demo_world(world_dir, seed=seed, scale=scale)
    marker.write_text(f"seed={seed} scale={scale}\n")
    return world


def _curate(world: dict, out: Path):
    """``wp curate clips`` on the demo clips and defects set (its sources manifest is the ingest one)."""
    from pipelines.jobs.curate_clips import curate_clips
    from pipelines.jobs.curate_config import load_config

    # the demo's clips are 3-4 s long: accept 2 s spans (real footage keeps the 3 s default); small
    # clips keep the CPU demo's VAE and DiT steps short
    config = load_config(
        None,
        {"shots": {"min_s": 2.0}, "thresholds": {"min_duration_s": 2.0}, "export": {"target": "256x144"}},
    )
    return curate_clips(
        [world["clips_dir"], world["defects_labels"].parent], out, config=config, progress=False
    )


def _scenes(world: dict, out: Path, scale: str):
    """``wp curate scenes`` on the demo's DL3DV scenes: a short CPU reconstruction each, then two
    revisit trajectories per scene rendered at the curated clips' size (so they shard and train with them)."""
    from pipelines.jobs.curate_scenes import curate_scenes
    from pipelines.jobs.curate_scenes_config import load_scenes_config

    budget = {"tiny": 15.0, "small": 60.0}.get(scale, 180.0)
    config = load_scenes_config(
        None,
        {
            "reader": {"factor": 1, "min_images": 4},
            "reconstruct": {"time_budget_s": budget, "sh_degree": 1, "checkpoint_every_s": budget / 2},
            "trajectories": {"kinds": ["out_and_back", "look_around"], "num_frames": 40, "fps": 10.0},
            "render": {"width": 256},
        },
    )
    return curate_scenes(world["scenes"], out, config=config, progress=False)


def _annotate(out: Path):
    """``wp annotate`` on the kept clips: their Sekai poses, release-threshold actions, structured captions."""
    from pipelines.jobs.annotate import annotate
    from pipelines.jobs.annotate_config import load_annotate_config

    return annotate([out], out, config=load_annotate_config(), progress=False)


def _shard(out: Path, vae_dir: Path | None = None):
    """``wp shard`` of the annotated clips into ``<out>/shards`` (whole clips); with a VAE, latents too."""
    from pipelines.jobs.shard import shard
    from pipelines.jobs.shard_config import load_shard_config

    overrides = {"latents": {"vae_path": str(vae_dir)}} if vae_dir is not None else None
    return shard(out, out, config=load_shard_config(None, overrides), progress=False)


def _train_vae(out: Path, steps: int = 12) -> Path:
    """``wp train-vae`` (tiny preset, 32 px crops of 5 frames, one thread) on the demo shards, briefly:
    it shows the path (shards -> VAE -> latents), not a useful VAE. Resumes on a rerun."""
    import torch

    from wpmodel.data import make_loader
    from wpmodel.vae import TrainVAEConfig, train_vae

    cfg = TrainVAEConfig.from_dict(
        {
            "steps": steps,
            "num_frames": 5,
            "crop_size": 32,
            "log_every": steps,
            "sample_every": steps,
            "ckpt_every": steps,
            "warmup_steps": 2,
            "lr": 1e-3,
            "device": "cpu",
        }
    )
    loader = make_loader(
        sorted(str(p) for p in (out / "shards").glob("*.tar")),
        batch_size=2,
        window_latents=2,
        shuffle_buffer=8,
        seed=0,
        num_workers=0,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small convolutions: one thread is faster than two contending
    try:
        return Path(train_vae(cfg, loader, out / "vae", log=None).vae_dir)
    finally:
        torch.set_num_threads(threads)


def _train(out: Path, steps: int = 10):
    """``wp train`` (tiny DiT, two-chunk windows: the demo clips are short) on the latent shards."""
    import torch

    from wpmodel.train.config import load_train_config
    from wpmodel.train.trainer import train

    cfg = load_train_config(
        Path(__file__).resolve().parent / "configs" / "train_tiny.yaml",
        {"data.shards": str(out / "shards"), "data.window_latents": 8, "data.batch_size": 2,
         "data.shuffle_buffer": 4, "train.steps": steps, "train.out_dir": str(out / "train"),
         "train.device": "cpu", "train.log_every": steps, "train.ckpt_every": steps,
         "train.sample_every": steps, "train.val_every": steps, "optim.warmup_steps": 2},
    )  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is faster than two contending
    try:
        return train(cfg, log=None)
    finally:
        torch.set_num_threads(threads)


def run_demo(
    out: Path,
    *,
    seed: int = 0,
    scale: str = "small",
    address: str | None = None,
    console: Console | None = None,
) -> dict:
    """Run the demo into ``out``; returns {"world": ..., "manifests": [Path], "timings": {step: s}}."""
    from pipelines.jobs.probe_sources import probe_sources

    console = console or Console()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    console.rule("[bold]1. synthetic world (exact ground truth)")
    world = _synthesise(out, seed, scale)
    timings["synthesise"] = time.perf_counter() - t0
    console.print(
        f"{len(world['scenes'])} DL3DV-style scenes, {len(world['clips'])} Sekai-style clips, "
        f"defects set {world['defects_labels']}  ({timings['synthesise']:.1f} s)"
    )

    manifests: list[Path] = []
    with ray_session(address) as session:
        console.print(f"Ray: {session.mode} at {session.gcs_address}")
        console.rule("[bold]2. ingest: probe every clip into the sources manifest")
        t0 = time.perf_counter()
        summary = probe_sources([world["clips_dir"], world["defects_labels"].parent], out, progress=False)
        timings["ingest"] = time.perf_counter() - t0
        print_summary(summary, console)
        manifests.append(Path(summary.manifest_path))

        console.rule("[bold]3. curate: shots -> clips -> scores -> keep/drop -> 256x144 clips")
        t0 = time.perf_counter()
        curated = _curate(world, out)
        timings["curate"] = time.perf_counter() - t0
        print_summary(curated.clips, console)
        manifests.append(Path(curated.clips.manifest_path))

        console.rule("[bold]3b. curate scenes: DL3DV scenes -> Gaussian splats -> revisit renders")
        t0 = time.perf_counter()
        scenes = _scenes(world, out, scale)
        timings["scenes"] = time.perf_counter() - t0
        print_summary(scenes.scenes, console)
        print_summary(scenes.renders, console)
        manifests += [Path(scenes.scenes.manifest_path), Path(scenes.renders.manifest_path)]

        console.rule("[bold]4. annotate: poses -> actions -> captions -> caption embeddings")
        t0 = time.perf_counter()
        annotated = _annotate(out)
        timings["annotate"] = time.perf_counter() - t0
        print_summary(annotated, console)
        manifests.append(Path(annotated.manifest_path))

        console.rule(
            "[bold]5. shard: annotated clips and renders -> WebDataset shards + samples/shards manifests"
        )
        t0 = time.perf_counter()
        sharded = _shard(out)
        timings["shard"] = time.perf_counter() - t0
        print_summary(sharded.summary, console)
        manifests += [Path(sharded.summary.manifest_path), Path(sharded.samples_path)]
        for split, index in sorted(sharded.index_paths.items()):
            console.print(f"{split} shards: {index}")

        console.rule("[bold]6. train-vae: the causal video VAE, briefly, on the shards")
        t0 = time.perf_counter()
        vae_dir = _train_vae(out)
        timings["train_vae"] = time.perf_counter() - t0
        console.print(f"VAE: {vae_dir}  ({timings['train_vae']:.1f} s)")

        console.rule("[bold]7. shard --vae: latents pre-encoded into the shards (latent.safetensors)")
        t0 = time.perf_counter()
        latent = _shard(out, vae_dir)
        timings["latents"] = time.perf_counter() - t0
        if latent.latents is not None:
            print_summary(latent.latents, console)
            manifests.append(Path(latent.latents.manifest_path))
        print_summary(latent.summary, console)

    console.rule("[bold]8. train: the WorldPlay DiT (tiny), briefly, on the latent shards")
    t0 = time.perf_counter()
    trained = _train(out)
    timings["train"] = time.perf_counter() - t0
    losses = ", ".join(f"{x:.3f}" for x in trained.losses)
    console.print(
        f"steps {trained.first_step}..{trained.step}, losses [{losses}], checkpoint {trained.checkpoint}"
    )

    console.rule("[bold]manifests (validated against their schemas)")
    table = Table(show_header=True)
    table.add_column("table")
    table.add_column("path")
    table.add_column("problems", justify="right")
    bad = 0
    for path in manifests:
        name, problems = validate_path(path)
        bad += len(problems)
        table.add_row(str(name), str(path), str(len(problems)))
        for p in problems:
            console.print(f"[red]{path}: {p}")
    console.print(table)
    console.print(
        "Inspect with: wp manifest stats "
        + " ".join(str(p) for p in manifests)
        + f"\nWorld: {out / 'world'}  (scenes/, clips/, defects/labels.parquet)"
        + "\nTimings: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    if bad:
        raise RuntimeError(f"{bad} manifest problems (printed above)")
    return {"world": world, "manifests": manifests, "timings": timings}
