"""Render a :class:`JobSummary` for the terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipelines.runtime.stage import STATUSES
from pipelines.runtime.summary import JobSummary


def summary_table(summary: JobSummary) -> Table:
    """Counts by status and drop reason, this run and the whole manifest, plus throughput."""
    t = Table(title=f"{summary.name} -> {summary.manifest_path}", title_justify="left")
    t.add_column("")
    t.add_column("this run", justify="right")
    t.add_column("manifest", justify="right")
    extra = sorted((summary.total.by_status.keys() | summary.run.by_status.keys()) - set(STATUSES))
    for status in [*STATUSES, *extra]:
        t.add_row(
            status, str(summary.run.by_status.get(status, 0)), str(summary.total.by_status.get(status, 0))
        )
    reasons = sorted(summary.total.by_drop_reason.keys() | summary.run.by_drop_reason.keys())
    for reason in reasons:
        run_n, total_n = (
            summary.run.by_drop_reason.get(reason, 0),
            summary.total.by_drop_reason.get(reason, 0),
        )
        t.add_row(f"  dropped: {reason}", str(run_n), str(total_n))
    t.add_section()
    t.add_row("items / skipped (done) / lost", f"{summary.items} / {summary.skipped} / {summary.lost}", "")
    t.add_row("wall s / items per s", f"{summary.wall_s:.1f} / {summary.items_per_s:.2f}", "")
    t.add_row("ray", f"{summary.ray_mode} {summary.ray_address or ''}".strip(), "")
    return t


def print_summary(summary: JobSummary, console: Console | None = None) -> None:
    """Print :func:`summary_table` to ``console`` (stdout by default)."""
    (console or Console()).print(summary_table(summary))
