"""What a job did: counts by status and drop reason, throughput; written as ``summary.json``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from manifests.atomic import atomic_write_text
from pipelines.runtime.rows import to_python
from pipelines.runtime.stage import STATUSES


@dataclass
class Counts:
    """Rows by status and by drop reason."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    by_drop_reason: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, drop_reasons: Iterable[str] | None) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1
        for reason in drop_reasons or []:
            self.by_drop_reason[reason] = self.by_drop_reason.get(reason, 0) + 1

    @classmethod
    def of_table(cls, tbl: pa.Table | None) -> Counts:
        """Counts over a whole manifest table."""
        counts = cls()
        if tbl is None or tbl.num_rows == 0:
            return counts
        for status, n in Counter(tbl.column("status").to_pylist()).items():
            counts.by_status[status] = counts.by_status.get(status, 0) + n
        reasons = Counter(r for rs in tbl.column("drop_reasons").to_pylist() for r in rs or [])
        counts.by_drop_reason = dict(sorted(reasons.items()))
        return counts


@dataclass
class JobSummary:
    """The outcome of one :func:`pipelines.runtime.job.run_job` call."""

    name: str
    table: str
    manifest_path: str
    ray_mode: str  # "embedded" | "remote" | "reused" | "none" (nothing to process)
    ray_address: str | None
    items: int  # items handed to the job
    skipped: int  # already ok/dropped in the manifest (resume)
    processed: int  # items run through the stages this run
    lost: int  # items Ray lost, written as failed rows
    rows_written: int
    wall_s: float
    items_per_s: float
    run: Counts
    total: Counts

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_summary(path: str | Path, summary: JobSummary) -> Path:
    """``summary.json`` (atomic)."""
    return atomic_write_text(Path(path), json.dumps(summary.to_dict(), indent=2, sort_keys=True) + "\n")


def read_summary(path: str | Path) -> dict[str, Any]:
    """A ``summary.json`` back as a dict."""
    return json.loads(Path(path).read_text())


def write_config(path: str | Path, config: dict[str, Any]) -> Path:
    """The resolved job config as ``config.yaml`` (atomic)."""
    return atomic_write_text(Path(path), yaml.safe_dump(to_python(config), sort_keys=True))
