"""DDP and FSDP on CPU: 2 processes on gloo, launched by torchrun, train the same loop; weights stay in sync
and equal the checkpoint rank 0 wrote (full tensors under FSDP too)."""

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
from wpmodel.train.config import TrainConfig
from wpmodel.train.dist import cleanup, init_distributed
from wpmodel.train.trainer import train

cfg = TrainConfig.from_dict(json.loads(Path(sys.argv[1]).read_text()))
info = init_distributed("gloo", "cpu")
res = train(cfg, info=info, log=None)
out = Path(os.environ["WP_DUMP_PARAMS"])
out.mkdir(exist_ok=True)
state = {k: (v.full_tensor() if hasattr(v, 'full_tensor') else v).detach().contiguous()
         for k, v in res.model.state_dict().items()}
safetensors.torch.save_file(state, str(out / f"rank{info.rank}.safetensors"))
summary = {"rank": info.rank, "world_size": info.world_size, "first_step": res.first_step, "step": res.step,
           "losses": list(res.losses)}
(out / f"rank{info.rank}.json").write_text(json.dumps(summary))
del res, state  # the FSDP model's tensors go before the process group does (wpmodel.train.dist.cleanup)
cleanup(info)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("fsdp", [False, True], ids=["ddp", "fsdp"])
def test_two_processes_on_gloo_stay_in_sync(kit, shards, tmp_path, fsdp):
    cfg = kit.tiny_config(tmp_path / "run", shards, train={"steps": 4, "ckpt_every": 2}, dist={"fsdp": fsdp})
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WP_DUMP_PARAMS": str(tmp_path / "params")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
           str(script), str(tmp_path / "cfg.json")]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    # each rank writes its own summary file: both ranks share one stdout pipe, where their lines can interleave
    runs = [json.loads((tmp_path / "params" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [(r["rank"], r["world_size"], r["first_step"], r["step"]) for r in runs] == [
        (0, 2, 0, 4),
        (1, 2, 0, 4),
    ]
    p0, p1 = (safetensors.torch.load_file(str(tmp_path / "params" / f"rank{r}.safetensors")) for r in (0, 1))
    assert all(torch.equal(p0[k], p1[k]) for k in p0), "DDP ranks diverged"
    ckpt = safetensors.torch.load_file(
        str(tmp_path / "run" / "checkpoints" / "step_00000004" / "model_dit.safetensors")
    )
    assert all(torch.equal(ckpt[k], p0[k]) for k in p0)
    losses = [r["losses"] for r in runs]
    assert losses[0] != losses[1] and all(torch.isfinite(torch.tensor(x)).all() for x in losses)
