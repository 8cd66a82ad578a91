"""Connect to Ray for the length of a job: an embedded local Ray by default, or an existing cluster."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import ray

TEMP_ROOT_ENV = "WP_RAY_TEMP_ROOT"  # parent of an embedded Ray's temp dir (default /tmp); keep it short


@dataclass
class RaySessionInfo:
    """Where a job ran: ``mode`` is "embedded", "remote" or "reused"; ``gcs_address`` host:port."""

    mode: str
    gcs_address: str | None
    temp_dir: str | None = None


def _quiet_ray() -> None:
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")


@contextmanager
def _loopback_only(enabled: bool) -> Iterator[None]:
    """Make Ray resolve "127.0.0.1" to the loopback address instead of the machine's public IP.

    Ray >= 2.4x rewrites ``_node_ip_address="127.0.0.1"`` to a remotely reachable IP unless its
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER`` switch (read once, at ``import ray``) is off; we flip the
    same switch for the length of the session so an embedded Ray listens on loopback only.
    """
    if not enabled:
        yield
        return
    from ray._private import ray_constants

    before = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = before


def _is_loopback(address: str) -> bool:
    host = address.split("://")[-1].rsplit(":", 1)[0]
    return host in ("127.0.0.1", "localhost", "::1", "[::1]")


def current_gcs_address() -> str:
    """``host:port`` of the cluster this process is connected to."""
    return str(ray.get_runtime_context().gcs_address)


@contextmanager
def ray_session(
    address: str | None = None,
    num_cpus: int | None = None,
    object_store_memory: int | None = None,
) -> Iterator[RaySessionInfo]:
    """Use an already-initialised Ray, join ``address``/``RAY_ADDRESS``, or start an embedded Ray.

    The embedded Ray binds to 127.0.0.1, has no dashboard, lives in a fresh short temp dir (Unix
    socket paths must stay under ~107 characters; its parent is ``$WP_RAY_TEMP_ROOT`` or /tmp) and is
    shut down and removed on exit. A joined
    cluster is only disconnected from; a Ray initialised by the caller is left as it was.
    """
    _quiet_ray()
    if ray.is_initialized():
        yield RaySessionInfo("reused", current_gcs_address())
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        with _loopback_only(_is_loopback(address)):
            try:
                ray.init(address=address, logging_level=logging.WARNING)
            except Exception as exc:
                raise ConnectionError(f"cannot join the Ray cluster at {address!r}: {exc}") from exc
            try:
                yield RaySessionInfo("remote", current_gcs_address())
            finally:
                ray.shutdown()
        return
    root = os.environ.get(TEMP_ROOT_ENV) or "/tmp"
    os.makedirs(root, exist_ok=True)
    temp_dir = tempfile.mkdtemp(prefix="wpray", dir=root)
    with _loopback_only(True):
        try:
            ray.init(
                num_cpus=num_cpus,
                object_store_memory=object_store_memory,
                include_dashboard=False,
                logging_level=logging.WARNING,
                _node_ip_address="127.0.0.1",
                _temp_dir=temp_dir,
            )
            yield RaySessionInfo("embedded", current_gcs_address(), temp_dir)
        finally:
            ray.shutdown()
            shutil.rmtree(temp_dir, ignore_errors=True)
