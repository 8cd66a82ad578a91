"""The configuration of ``wp curate clips``: defaults in ``pipelines/configs/curate_clips.yaml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.jobs.config_io import check_sections, load_sections, section
from pipelines.jobs.probe_sources import ProbeConfig
from wpdata.filters.analyse import AnalysisConfig
from wpdata.filters.decide import CurationThresholds

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "curate_clips.yaml"


@dataclass
class ShotConfig:
    """Cut detection and splitting of a source into clip spans."""

    analysis_fps: float = 6.0
    width: int = 320
    min_s: float = 3.0
    max_s: float = 15.0
    trim_s: float = 0.3
    max_pts_irregularity: float = 0.05
    skip_nonref: bool = False  # reference frames only: faster, but uneven spacing can fake cuts


@dataclass
class ExportConfig:
    """How kept clips are written."""

    target: str = "1280x720"
    crf: int = 18
    preset: str = "veryfast"
    threads: int = 1


@dataclass
class CurateConfig:
    """Every setting of the curation job, section by section."""

    probe: ProbeConfig = field(default_factory=ProbeConfig)
    shots: ShotConfig = field(default_factory=ShotConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    thresholds: CurationThresholds = field(default_factory=CurationThresholds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "probe": asdict(self.probe),
            "shots": asdict(self.shots),
            "analysis": asdict(self.analysis),
            "export": asdict(self.export),
            "thresholds": self.thresholds.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CurateConfig:
        """From nested sections; unknown sections or keys raise ValueError."""
        check_sections(data, {"probe", "shots", "analysis", "export", "thresholds"})
        return cls(
            probe=section(data, "probe", ProbeConfig),
            shots=section(data, "shots", ShotConfig),
            analysis=section(data, "analysis", AnalysisConfig),
            export=section(data, "export", ExportConfig),
            thresholds=CurationThresholds.from_dict(data.get("thresholds") or {}),
        )


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> CurateConfig:
    """Defaults, then the YAML at ``path`` (sections merge key by key), then ``overrides`` (same shape)."""
    return CurateConfig.from_dict(load_sections(DEFAULT_CONFIG, path, overrides))
