"""Exact resume: a run stopped (or killed) at step k and resumed equals an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from wpdata.scenes import load_images, load_scene, normalize_scene
from wpdata.splat.checkpoint import load_checkpoint
from wpdata.splat.train import train
from wpdata.splat.train_config import TrainConfig
from wpdata.synth import intrinsics, make_world, orbit, write_dl3dv_scene

REPO = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory):
    world = make_world(2, "street", n_boxes=6)
    c2w = orbit(world, 10, seed=3)
    return write_dl3dv_scene(
        tmp_path_factory.mktemp("ck") / "s", world, c2w, intrinsics(32, 24), 32, 24, n_points=500
    )


def _state(out_dir) -> dict[str, torch.Tensor]:
    meta, t = load_checkpoint(out_dir, torch.device("cpu"))
    return {k: v for k, v in t.items() if not k.startswith("rng/cuda")} | {"step": torch.tensor(meta["step"])}


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_stop_and_resume_equals_uninterrupted(scene_dir, tmp_path):
    torch.set_num_threads(1)
    norm, _ = normalize_scene(load_scene(scene_dir))
    imgs = [torch.as_tensor(im).float() / 255 for im in load_images(norm)]
    cfg = TrainConfig(
        iterations=24, sh_degree=1, sh_degree_interval=10, checkpoint_every=1000, checkpoint_every_s=1e9
    )
    train(norm, imgs, tmp_path / "full", cfg)
    first = train(norm, imgs, tmp_path / "resumed", cfg, stop_at_step=11)
    assert first.step == 11 and _state(tmp_path / "resumed")["step"] == 11
    train(norm, imgs, tmp_path / "resumed", cfg)
    _assert_same(_state(tmp_path / "full"), _state(tmp_path / "resumed"))
    # and the optimisation did move the parameters
    p0 = train(norm, imgs, tmp_path / "zero", cfg, stop_at_step=0).params["means"]
    assert not torch.equal(p0, _state(tmp_path / "full")["param/means"])


_RUN = textwrap.dedent(
    """
    import sys, torch
    torch.set_num_threads(1)
    from wpdata.scenes import load_scene
    from wpdata.splat.train import reconstruct
    from wpdata.splat.train_config import TrainConfig
    cfg = TrainConfig(iterations=int(sys.argv[3]), sh_degree=0, checkpoint_every=10, checkpoint_every_s=1e9)
    reconstruct(load_scene(sys.argv[1]), sys.argv[2], cfg)
    """
)


def _run(scene_dir, out, iterations, wait=True):
    # MKL picks alignment-dependent kernels; bitwise equality across processes needs its CNR mode
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_CBWR": "COMPATIBLE", "PYTHONPATH": str(REPO)}
    p = subprocess.Popen(
        [sys.executable, "-c", _RUN, str(scene_dir), str(out), str(iterations)], env=env, cwd=REPO
    )
    if wait:
        assert p.wait(timeout=300) == 0
    return p


@pytest.mark.slow  # three fresh Python processes importing torch: 30-100 s on 2 busy cores
def test_killed_run_resumes_from_last_checkpoint(scene_dir, tmp_path):
    full, killed = tmp_path / "full", tmp_path / "killed"
    _run(scene_dir, full, 40)
    p = _run(scene_dir, killed, 40, wait=False)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not list(killed.glob("ckpt_00000010.safetensors")):
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait()
    assert not (killed / "splat.ply").exists(), "the run finished before it could be killed"
    step_killed = _state(killed)["step"].item()
    assert 10 <= step_killed < 40
    _run(scene_dir, killed, 40)
    a = load_file(str(full / sorted(p.name for p in full.glob("ckpt_*"))[-1]))
    b = load_file(str(killed / sorted(p.name for p in killed.glob("ckpt_*"))[-1]))
    for k in a:
        if k.startswith("param/") or k.startswith("opt/"):
            assert torch.equal(a[k], b[k]), k
