"""Joining an external Ray cluster (``ray start --head``) instead of starting an embedded one."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import ray
import ray.cloudpickle

from pipelines.runtime import Stage, run_job
from pipelines.runtime.ray_session import ray_session

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray workers cannot import test modules
RAY_BIN = Path(sys.executable).with_name("ray")


class Where(Stage):
    name = "where"

    def process(self, item: dict) -> dict:
        return {**item, "node": ray.get_runtime_context().get_node_id()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_job_joins_external_cluster(tmp_path: Path) -> None:
    assert not ray.is_initialized(), "this test needs a process without Ray"
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="wpc", dir="/tmp")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    env.pop("RAY_ADDRESS", None)
    head = subprocess.Popen(
        [
            str(RAY_BIN),
            "start",
            "--head",
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--port={port}",
            f"--temp-dir={temp_dir}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while not _accepts(port):
            assert head.poll() is None, "ray start --head exited early"
            assert time.monotonic() < deadline, "the head node never accepted connections"
            time.sleep(0.3)
        time.sleep(1.0)
        items = [{"item_id": f"i{k}"} for k in range(3)]
        s = run_job(
            "where",
            "toy",
            items,
            [Where()],
            tmp_path,
            address=f"127.0.0.1:{port}",
            id_column="item_id",
            progress=False,
        )
        assert (s.ray_mode, s.ray_address) == ("remote", f"127.0.0.1:{port}")
        assert not ray.is_initialized()  # disconnected afterwards
        with ray_session(address=f"127.0.0.1:{port}") as info:
            nodes = [n for n in ray.nodes() if n["Alive"]]
            assert info.mode == "remote" and len(nodes) == 1 and nodes[0]["NodeManagerAddress"] == "127.0.0.1"
            node_id = nodes[0]["NodeID"]
        rows = pq.read_table(s.manifest_path).to_pylist()
        assert [r["status"] for r in rows] == ["ok"] * 3
        assert {r["node"] for r in rows} == {node_id}  # the work ran on the external node
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)
