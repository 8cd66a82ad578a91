"""The configuration of ``wp shard``: defaults in ``pipelines/configs/shard.yaml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.jobs.config_io import check_sections, load_sections, section
from wpdata.shards import EncodeSettings, PlanConfig

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "shard.yaml"


@dataclass
class PathsConfig:
    """Folders besides ROOT that manifest paths may resolve into."""

    extra_roots: list[str] = field(default_factory=list)


@dataclass
class WriteConfig:
    """Resources of the shard-writing stage."""

    num_cpus: float = 1


@dataclass
class ShardConfig:
    """Every setting of the shard job, section by section."""

    plan: PlanConfig = field(default_factory=PlanConfig)
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    paths: PathsConfig = field(default_factory=PathsConfig)
    write: WriteConfig = field(default_factory=WriteConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": asdict(self.plan),
            "encode": asdict(self.encode),
            "paths": asdict(self.paths),
            "write": asdict(self.write),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardConfig:
        """From nested sections; unknown sections or keys raise ValueError."""
        check_sections(data, {"plan", "encode", "paths", "write"})
        return cls(
            plan=section(data, "plan", PlanConfig),
            encode=section(data, "encode", EncodeSettings),
            paths=section(data, "paths", PathsConfig),
            write=section(data, "write", WriteConfig),
        )


def load_shard_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> ShardConfig:
    """Defaults, then the YAML at ``path``, then ``overrides`` (same shape), merged key by key."""
    return ShardConfig.from_dict(load_sections(DEFAULT_CONFIG, path, overrides))
