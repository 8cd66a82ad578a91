"""The distillation loop: exact resume, EMA, checkpoints a StreamingGenerator loads; ``wp distill`` end to end."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import safetensors.torch
import torch
from typer.testing import CliRunner

from pipelines.cli import app
from wpmodel.distill.config import DistillConfig, load_distill_config
from wpmodel.distill.trainer import distill
from wpmodel.generate import StreamingGenerator
from wpmodel.generate.load import load_dit
from wpmodel.train.checkpoint import list_checkpoints


def _cfg(teacher_run, out, **train) -> DistillConfig:
    return DistillConfig.from_dict({
        "teacher": {"path": str(teacher_run.run)},
        "data": {"shards": str(teacher_run.shards), "window_latents": 24, "batch_size": 2, "shuffle_buffer": 4},
        "distill": {"critic_steps": 2, "rollout_chunks": 2, "min_history_chunks": 2},
        "optim": {"lr_generator": 1e-3, "lr_critic": 1e-3},
        "train": {"steps": 3, "log_every": 1, "ckpt_every": 1, "sample_every": 0, "device": "cpu",
                  "out_dir": str(out), **train},
    })  # fmt: skip


def test_resume_is_exact(teacher_run, tmp_path):
    full = distill(_cfg(teacher_run, tmp_path / "a"), log=None)
    run = SimpleNamespace(run=tmp_path / "teacher", shards=teacher_run.shards)
    shutil.copytree(teacher_run.run, run.run)
    first = distill(_cfg(run, tmp_path / "b"), stop_after=2, log=None)
    # the teacher's run saves a newer checkpoint meanwhile: the resumed run keeps the teacher it started with
    newer = run.run / "checkpoints" / "step_00000009"
    shutil.copytree(run.run / "checkpoints" / "step_00000003", newer)
    for name in ("model_dit.safetensors", "model_ema.safetensors"):
        state = safetensors.torch.load_file(str(newer / name))
        safetensors.torch.save_file({k: v + 1 if v.is_floating_point() else v for k, v in state.items()},
                                    str(newer / name))  # fmt: skip
    rest = distill(_cfg(run, tmp_path / "b"), log=None)
    assert (first.step, rest.first_step, rest.step, full.step) == (2, 2, 3, 3)
    assert first.gen_losses + rest.gen_losses == full.gen_losses
    assert first.critic_losses + rest.critic_losses == full.critic_losses
    assert all(np.isfinite(full.gen_losses)) and len(set(full.critic_losses)) == 3
    for a, b in zip(full.student.state_dict().values(), rest.student.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    teacher, _, _ = load_dit(teacher_run.run)
    moved = [
        not torch.equal(p, q) for p, q in zip(full.student.parameters(), teacher.parameters(), strict=True)
    ]
    assert any(moved)  # the student left the teacher's weights
    assert [p.name for p in list_checkpoints(tmp_path / "a" / "checkpoints")] == [
        "step_00000001", "step_00000002", "step_00000003"]  # fmt: skip


def test_wp_distill_end_to_end_writes_a_4_step_student(teacher_run, tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "distill", "--teacher", str(teacher_run.run), "--shards", str(teacher_run.shards), "--out", str(out),
        "--steps", "2", "--device", "cpu", "--set", "distill.critic_steps=1", "--set", "train.sample_every=2",
        "--set", "data.window_latents=24", "--set", "train.log_every=1",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "distilled to step 2" in res.output and "gen_loss" in res.output
    assert (out / "samples" / "step_00000002.mp4").stat().st_size > 0 and list((out / "tb").iterdir())
    assert load_distill_config(None, {"distill.critic_steps": 1}).distill.critic_steps == 1
    student, _, ckpt = load_dit(out)  # the run folder loads like a `wp train` run (EMA of the student)
    assert ckpt.name == "step_00000002"
    clip_lat = torch.randn(1, 4, 4, 16, 16, generator=torch.Generator().manual_seed(0))
    gen = StreamingGenerator(student, steps=4)
    c2w = np.tile(np.eye(4), (8, 1, 1))
    c2w[:, 2, 3] = 0.5 * np.arange(8)
    gen.start(clip_lat, torch.zeros(1, 16), c2w[:4], np.array([[40.0, 0, 32], [0, 40.0, 32], [0, 0, 1]]))
    x = gen.next_chunk(np.zeros(4, dtype=np.int64), c2w[4:])
    assert x.shape == (1, 4, 4, 16, 16) and torch.isfinite(x).all()


def test_missing_teacher_is_a_clear_error(teacher_run, tmp_path):
    res = CliRunner().invoke(app, ["distill", "--shards", str(teacher_run.shards), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "teacher.path" in res.output
