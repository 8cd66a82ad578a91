"""Two processes on gloo (torchrun) distil together: gradients averaged over ranks keep the student and
the critic identical on both, and equal to the checkpoint rank 0 wrote; the ranks saw different data."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
import safetensors.torch
import torch

WORKER = """
import json, os, sys
from pathlib import Path
import safetensors.torch
from wpmodel.distill.config import DistillConfig
from wpmodel.distill.trainer import distill
from wpmodel.train.dist import cleanup, init_distributed

cfg = DistillConfig.from_dict(json.loads(Path(sys.argv[1]).read_text()))
info = init_distributed("gloo", "cpu")
res = distill(cfg, info=info, log=None)
out = Path(os.environ["WP_DUMP_PARAMS"])
out.mkdir(exist_ok=True)
state = {k: v.detach().contiguous() for k, v in res.student.state_dict().items()}
safetensors.torch.save_file(state, str(out / f"rank{info.rank}.safetensors"))
print(f"rank {info.rank} of {info.world_size}: steps {res.first_step}..{res.step} losses {res.gen_losses}")
cleanup(info)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_on_gloo_stay_in_sync(teacher_run, tmp_path):
    cfg = {
        "teacher": {"path": str(teacher_run.run)},
        "data": {
            "shards": str(teacher_run.shards),
            "window_latents": 24,
            "batch_size": 1,
            "shuffle_buffer": 4,
        },
        "distill": {"critic_steps": 1, "rollout_chunks": 2, "min_history_chunks": 2},
        "optim": {"lr_generator": 1e-3, "lr_critic": 1e-3},
        "train": {
            "steps": 2,
            "ckpt_every": 2,
            "sample_every": 0,
            "device": "cpu",
            "out_dir": str(tmp_path / "run"),
        },
    }
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WP_DUMP_PARAMS": str(tmp_path / "params")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_port()),
           str(script), str(tmp_path / "cfg.json")]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("rank ")]
    assert len(lines) == 2 and all("of 2: steps 0..2" in ln for ln in lines)
    p0, p1 = (safetensors.torch.load_file(str(tmp_path / "params" / f"rank{r}.safetensors")) for r in (0, 1))
    assert all(torch.equal(p0[k], p1[k]) for k in p0), "ranks diverged"
    ckpt = safetensors.torch.load_file(
        str(tmp_path / "run" / "checkpoints" / "step_00000002" / "model_dit.safetensors")
    )
    assert all(torch.equal(ckpt[k], p0[k]) for k in p0)
    losses = [eval(ln.split("losses ")[1]) for ln in lines]
    assert losses[0] != losses[1]  # each rank distilled its own clips
