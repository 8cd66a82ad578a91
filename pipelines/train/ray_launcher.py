"""Run the WorldPlay trainer (``wpmodel.train.train``) in Ray Train's TorchTrainer.

Each Ray Train worker runs the same loop torchrun would start: Ray creates the torch process group
(gloo on CPU, nccl on GPU), ``wpmodel.train.dist.init_distributed`` finds it, and the trainer splits
shards by rank, keeps DDP ranks in step and writes checkpoints from rank 0. Without ``address`` (or
RAY_ADDRESS) an embedded Ray bound to 127.0.0.1 is started for the call and stopped after
(``pipelines.runtime.ray_session``). Paths in the config are made absolute first: workers may run in
another working directory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.runtime.ray_session import ray_session
from wpmodel.train.config import TrainConfig
from wpmodel.train.data import shard_source


@dataclass
class RayTrainResult:
    metrics: dict[str, Any]  # what rank 0 reported last: step, loss, val_loss
    storage_path: str
    error: str | None


def _absolute(source: Any) -> Any:
    """Shard sources with local paths made absolute (urls with a scheme and brace patterns kept)."""
    if source is None:
        return None
    resolved = shard_source(source)

    def fix(u: str) -> str:
        return u if "://" in u or "{" in u else str(Path(u).resolve())

    return [fix(u) for u in resolved] if isinstance(resolved, list) else fix(resolved)


def portable_config(cfg: TrainConfig) -> dict[str, Any]:
    """``cfg`` as a dict with absolute local paths (shards, val_shards, vae_path, out_dir)."""
    d = cfg.to_dict()
    d["data"]["shards"] = _absolute(cfg.data.shards)
    d["data"]["val_shards"] = _absolute(cfg.data.val_shards)
    if cfg.data.vae_path:
        d["data"]["vae_path"] = str(Path(cfg.data.vae_path).resolve())
    d["train"]["out_dir"] = str(Path(cfg.train.out_dir).resolve())
    return d


def _worker_loop(loop_config: dict[str, Any]) -> None:
    """Runs on every Ray Train worker."""
    import ray.train
    import ray.train.torch

    from wpmodel.train.dist import init_distributed
    from wpmodel.train.trainer import train

    cfg = TrainConfig.from_dict(loop_config["train_config"])
    if loop_config["use_gpu"]:
        cfg.train.device = str(ray.train.torch.get_device())
    info = init_distributed(cfg.dist.backend, cfg.train.device)
    res = train(cfg, info=info, log=print)
    last_val = res.val_losses[max(res.val_losses)] if res.val_losses else math.nan
    loss = res.losses[-1] if res.losses else math.nan
    ray.train.report({"step": res.step, "loss": loss, "val_loss": last_val, "rank": info.rank})


def launch_ray_train(
    cfg: TrainConfig,
    num_workers: int = 2,
    use_gpu: bool = False,
    storage_path: str | Path | None = None,
    address: str | None = None,
    cpus_per_worker: int = 1,
    name: str = "wp_train",
) -> RayTrainResult:
    """Train with ``num_workers`` Ray Train workers; returns rank 0's last report."""
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    storage = Path(storage_path or Path(cfg.train.out_dir) / "ray").resolve()
    storage.mkdir(parents=True, exist_ok=True)
    backend = cfg.dist.backend if cfg.dist.backend != "auto" else ("nccl" if use_gpu else "gloo")
    num_cpus = None if address else num_workers * cpus_per_worker + 1
    with ray_session(address, num_cpus=num_cpus):
        trainer = TorchTrainer(
            _worker_loop,
            train_loop_config={"train_config": portable_config(cfg), "use_gpu": use_gpu},
            torch_config=TorchConfig(backend=backend),
            scaling_config=ScalingConfig(
                num_workers=num_workers, use_gpu=use_gpu, resources_per_worker={"CPU": cpus_per_worker}
            ),
            run_config=RunConfig(name=name, storage_path=str(storage)),
        )
        result = trainer.fit()
    error = None if result.error is None else f"{type(result.error).__name__}: {result.error}"
    return RayTrainResult(dict(result.metrics or {}), str(storage), error)
