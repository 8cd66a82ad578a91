"""``wp curate clips``: split sources into shots, score and filter the clips, export the kept ones."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(name="curate", help="Curate sources into training clips.", no_args_is_help=True)


@app.command("clips")
def clips(
    inputs: list[Path] = typer.Argument(
        ..., help="Video files and/or folders (videos, image-sequence folders)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (manifests/, clips/, jobs/ go here)."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML overriding pipelines/configs/curate_clips.yaml (any section)."
    ),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join (host:port); default RAY_ADDRESS or an embedded Ray."
    ),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Workers per stage (actor pool size)."),
    target: str | None = typer.Option(
        None, "--target", help="Clip size WxH, e.g. 1280x720 (config default)."
    ),
    image_fps: float | None = typer.Option(None, "--image-fps", help="Frame rate of image-sequence folders."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip items already ok/dropped."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress."),
) -> None:
    """Curate INPUTS into OUT/manifests/{sources,clips}.parquet and OUT/clips/<clip_id>.{mp4,json}."""
    from pipelines.jobs.curate_clips import curate_clips
    from pipelines.jobs.curate_config import load_config
    from pipelines.runtime.report import print_summary
    from wpdata.clips import parse_size

    overrides: dict = {}
    try:
        if target is not None:
            parse_size(target)
            overrides["export"] = {"target": target}
        if image_fps is not None:
            overrides["probe"] = {"image_fps": image_fps}
        cfg = load_config(config, overrides)
        result = curate_clips(
            inputs, out, config=cfg, address=address, workers=workers, resume=resume, progress=progress
        )
    except (FileNotFoundError, ValueError, ConnectionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print_summary(result.sources)
    print_summary(result.clips)


@app.command("scenes")
def scenes(
    inputs: list[Path] = typer.Argument(
        ..., help="Scene folders (DL3DV, nerfstudio transforms.json, COLMAP) or folders of them."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output folder (manifests/, scenes/, renders/, jobs/)."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML overriding pipelines/configs/curate_scenes.yaml (any section)."
    ),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster to join (host:port); default RAY_ADDRESS or an embedded Ray."
    ),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Workers per stage (actor pool size)."),
    factor: int | None = typer.Option(None, "--factor", help="Image downscale (DL3DV images_N)."),
    minutes: float | None = typer.Option(None, "--minutes", help="Training-time budget per scene."),
    frames: int | None = typer.Option(None, "--frames", help="Frames per rendered trajectory."),
    width: int | None = typer.Option(None, "--width", help="Render width (height keeps the aspect ratio)."),
    trajectory: list[Path] = typer.Option(
        [], "--trajectory", help="A TUM / KITTI camera path to render in every scene (repeatable)."
    ),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip items already ok/dropped."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress."),
) -> None:
    """Reconstruct INPUTS with Gaussian splatting and render revisit-heavy trajectories into
    OUT/manifests/{scenes,renders}.parquet, OUT/scenes/<scene_id>/ and OUT/renders/<scene_id>/."""
    from pipelines.jobs.curate_scenes import curate_scenes
    from pipelines.jobs.curate_scenes_config import load_scenes_config
    from pipelines.runtime.report import print_summary

    over: dict = {"reader": {}, "reconstruct": {}, "trajectories": {}, "render": {}}
    if factor is not None:
        over["reader"]["factor"] = factor
    if minutes is not None:
        over["reconstruct"]["time_budget_s"] = minutes * 60.0
    if frames is not None:
        over["trajectories"]["num_frames"] = frames
    if trajectory:
        over["trajectories"]["user_files"] = [str(p) for p in trajectory]
    if width is not None:
        over["render"]["width"] = width
    try:
        cfg = load_scenes_config(config, over)
        result = curate_scenes(
            inputs, out, config=cfg, address=address, workers=workers, resume=resume, progress=progress
        )
    except (FileNotFoundError, ValueError, ConnectionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    print_summary(result.scenes)
    print_summary(result.renders)
