"""The job runtime: Stages on Ray Data, an embedded or remote Ray, resumable manifest writes, summaries."""

from pipelines.runtime.job import run_job
from pipelines.runtime.ray_session import RaySessionInfo, ray_session
from pipelines.runtime.stage import DROPPED, FAILED, OK, Stage
from pipelines.runtime.store import ManifestStore, done_ids
from pipelines.runtime.summary import Counts, JobSummary, read_summary

__all__ = [
    "DROPPED",
    "FAILED",
    "OK",
    "Counts",
    "JobSummary",
    "ManifestStore",
    "RaySessionInfo",
    "Stage",
    "done_ids",
    "ray_session",
    "read_summary",
    "run_job",
]
