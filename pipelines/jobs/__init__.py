"""Curation jobs: each builds its items, declares its stages and calls ``pipelines.runtime.run_job``."""
