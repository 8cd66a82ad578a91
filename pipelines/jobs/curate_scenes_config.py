"""The configuration of ``wp curate scenes``: defaults in ``pipelines/configs/curate_scenes.yaml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.jobs.config_io import check_sections, load_sections, section
from wpdata.camera_paths import TRAJECTORY_KINDS, PathLimits
from wpdata.scene_render import RenderLimits
from wpdata.splat.train_config import TrainConfig

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "curate_scenes.yaml"


@dataclass
class ReaderConfig:
    """How scene folders are read."""

    factor: int = 4
    format: str = "auto"
    test_every: int = 8
    min_images: int = 8


@dataclass
class TrajectoryConfig:
    """Which camera paths are rendered per scene."""

    kinds: list[str] = field(default_factory=lambda: sorted(TRAJECTORY_KINDS))
    per_kind: int = 1
    seed: int = 0
    num_frames: int = 240
    fps: float = 15.0
    user_files: list[str] = field(default_factory=list)
    limits: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = sorted(set(self.kinds) - set(TRAJECTORY_KINDS))
        if bad:
            raise ValueError(f"unknown trajectory kind(s) {bad}; known: {sorted(TRAJECTORY_KINDS)}")
        self.path_limits()  # unknown keys fail early

    def path_limits(self) -> PathLimits:
        return _fields(PathLimits, self.limits, "trajectories.limits")


@dataclass
class RenderConfig:
    """How renders are made and repaired."""

    width: int = 256
    device: str = "auto"
    fixer: str = "inpaint"
    limits: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.render_limits()

    def render_limits(self) -> RenderLimits:
        return _fields(RenderLimits, self.limits, "render.limits")


def _fields(kind: type, values: dict[str, Any], name: str) -> Any:
    bad = sorted(set(values) - set(kind.__dataclass_fields__))
    if bad:
        raise ValueError(f"unknown key(s) {bad} in {name}")
    return kind(**values)


@dataclass
class ScenesConfig:
    """Every setting of the scenes job, section by section."""

    reader: ReaderConfig = field(default_factory=ReaderConfig)
    reconstruct: TrainConfig = field(default_factory=TrainConfig)
    trajectories: TrajectoryConfig = field(default_factory=TrajectoryConfig)
    render: RenderConfig = field(default_factory=RenderConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reader": asdict(self.reader),
            "reconstruct": asdict(self.reconstruct),
            "trajectories": asdict(self.trajectories),
            "render": asdict(self.render),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenesConfig:
        """From nested sections; unknown sections or keys raise ValueError."""
        check_sections(data, {"reader", "reconstruct", "trajectories", "render"})
        rec = dict(data.get("reconstruct") or {})
        for key in ("background", "eval_at_s"):  # YAML lists -> the dataclass's tuples
            if isinstance(rec.get(key), list):
                rec[key] = tuple(rec[key])
        return cls(
            reader=section(data, "reader", ReaderConfig),
            reconstruct=section({"reconstruct": rec}, "reconstruct", TrainConfig),
            trajectories=section(data, "trajectories", TrajectoryConfig),
            render=section(data, "render", RenderConfig),
        )


def load_scenes_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> ScenesConfig:
    """Defaults, then the YAML at ``path``, then ``overrides`` (same shape)."""
    return ScenesConfig.from_dict(load_sections(DEFAULT_CONFIG, path, overrides))
