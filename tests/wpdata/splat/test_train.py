"""Reconstruction of a tiny synthetic scene: held-out PSNR rises well above the init; outputs; divergence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from manifests.schemas import schema_for
from wpdata.scenes import load_scene
from wpdata.splat.ply import read_ply
from wpdata.splat.train import SplatDivergedError, reconstruct
from wpdata.splat.train_config import TrainConfig
from wpdata.synth import intrinsics, make_world, orbit, write_dl3dv_scene


@pytest.fixture(scope="module")
def tiny_scene(tmp_path_factory):
    """16 views at 32x24 (images_4 of a 128x96 render) around a box, ~1.4k sparse points."""
    torch.set_num_threads(1)
    world = make_world(0, "street", n_boxes=8)
    c2w = orbit(world, 16, seed=0)
    root = write_dl3dv_scene(
        tmp_path_factory.mktemp("tiny") / "s", world, c2w, intrinsics(128, 96), 128, 96, n_points=1500
    )
    return load_scene(root, factor=4)


def test_heldout_psnr_rises_clearly_and_outputs_are_written(tiny_scene, tmp_path):
    cfg = TrainConfig(iterations=150, sh_degree=0, eval_at_s=(0.0,), seed=0)
    r = reconstruct(tiny_scene, tmp_path, cfg)
    hist = json.loads((tmp_path / "metrics.json").read_text())["history"]
    init_psnr = hist[0]["psnr"]
    assert hist[0]["step"] == 0
    assert r["iterations"] == 150 and r["num_test"] == 2 and r["num_train"] == 14
    assert r["psnr_test"] > init_psnr + 4.0, (init_psnr, r["psnr_test"])
    assert r["ssim_test"] > hist[0]["ssim"]
    assert set(r) <= set(schema_for("scenes").names)
    ply = read_ply(r["ply_path"])
    assert len(ply["means"]) == r["num_gaussians"] and np.isfinite(ply["means"]).all()
    cams = np.load(r["cameras_path"])
    assert cams["c2w"].shape == (16, 4, 4) and cams["transform"].shape == (4, 4)
    # a finished run is not redone: reconstruct again resumes at the end and reports the same numbers
    again = reconstruct(tiny_scene, tmp_path, cfg)
    assert again["iterations"] == 150 and again["psnr_test"] == pytest.approx(r["psnr_test"], abs=1e-9)


def test_random_init_when_the_scene_has_no_points(tiny_scene, tmp_path):
    s = tiny_scene.subset(list(range(tiny_scene.num_images)))
    s.train_idx, s.test_idx = tiny_scene.train_idx, tiny_scene.test_idx
    s.points, s.point_colors = np.zeros((0, 3)), np.zeros((0, 3), np.uint8)
    r = reconstruct(s, tmp_path, TrainConfig(iterations=20, sh_degree=0, init_num_random=2000))
    assert r["num_gaussians"] == 2000 and np.isfinite(r["psnr_test"])


def test_time_budget_stops_the_run(tiny_scene, tmp_path):
    r = reconstruct(tiny_scene, tmp_path, TrainConfig(iterations=100_000, time_budget_s=1.0, sh_degree=0))
    assert 0 < r["iterations"] < 100_000 and 1.0 <= r["train_seconds"] < 3.0


def test_diverging_optimisation_raises(tiny_scene, tmp_path):
    """A scale learning rate 2e5x too high: the scales overflow and the run stops with a clear error."""
    cfg = TrainConfig(iterations=100, sh_degree=0, lr_scales=1e3)
    with pytest.raises(SplatDivergedError, match="collapsed|non-finite"):
        reconstruct(tiny_scene, tmp_path, cfg)


def test_gsplat_default_strategy_densifies_on_cpu_and_resumes(tiny_scene, tmp_path):
    """gsplat's DefaultStrategy runs on the CPU rasterizer's screen-space gradients; N changes, resume works."""
    kw = {"refine_start_iter": 10, "refine_every": 10, "reset_every": 10_000, "grow_grad2d": 1e-5}
    cfg = TrainConfig(iterations=40, sh_degree=0, strategy="default", strategy_kwargs=kw, checkpoint_every=20)
    n0 = reconstruct(tiny_scene, tmp_path / "a", TrainConfig(iterations=1, sh_degree=0))["num_gaussians"]
    r = reconstruct(tiny_scene, tmp_path / "b", cfg)
    assert r["num_gaussians"] != n0 and r["iterations"] == 40 and np.isfinite(r["psnr_test"])
    cfg.iterations = 50  # continue the finished run: its densified state loads back
    assert reconstruct(tiny_scene, tmp_path / "b", cfg)["iterations"] == 50


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU for gsplat.rasterization")
def test_cuda_training_through_gsplat_densifies_and_learns_like_the_cpu_path(tiny_scene, tmp_path):
    """gsplat's CUDA rasterizer in the same loop: DefaultStrategy grows N from gsplat's own means2d
    gradients, held-out PSNR rises as on the CPU, and CPU vs CUDA without densification agree closely."""
    s = tiny_scene.subset(list(range(tiny_scene.num_images)))
    s.train_idx, s.test_idx = tiny_scene.train_idx, tiny_scene.test_idx
    s.points, s.point_colors = np.zeros((0, 3)), np.zeros((0, 3), np.uint8)  # random init: no open3d needed
    base = {"iterations": 150, "sh_degree": 0, "eval_at_s": (0.0,), "seed": 0, "init_num_random": 3000}
    gpu = reconstruct(s, tmp_path / "gpu", TrainConfig(**base, device="cuda", strategy="none"))
    cpu = reconstruct(s, tmp_path / "cpu", TrainConfig(**base, device="cpu", strategy="none"))
    hist = json.loads((tmp_path / "gpu" / "metrics.json").read_text())["history"]
    assert gpu["num_gaussians"] == cpu["num_gaussians"] == 3000
    assert gpu["psnr_test"] > hist[0]["psnr"] + 1.0, (gpu["psnr_test"], hist[0]["psnr"])
    assert abs(gpu["psnr_test"] - cpu["psnr_test"]) < 1.0, (gpu["psnr_test"], cpu["psnr_test"])
    kw = {"refine_start_iter": 20, "refine_every": 20, "reset_every": 10_000}  # gsplat's grow_grad2d default
    dens = reconstruct(
        s, tmp_path / "dens", TrainConfig(**base, device="cuda", strategy="default", strategy_kwargs=kw)
    )
    assert 3000 != dens["num_gaussians"] < 30_000 and dens["psnr_test"] > hist[0]["psnr"] + 1.0, dens
