"""Generic training pieces shared by the VAE, DiT and distillation trainers.

``checkpoint``: atomic ``step_%08d`` folders (safetensors + JSON, no pickle) that resume exactly,
with RNG states and ``keep_last`` pruning. ``ema``: EMA of parameters with warmup, swap/copy_to.
``state_codec``: nested state <-> JSON + tensors.

The WorldPlay DiT trainer (imported from its modules, not here, to keep this package light):
``config`` (TrainConfig, load_train_config), ``step`` (training_step: memory windows, per-chunk times,
masked flow loss), ``trainer`` (train, run_training, evaluate), ``dist`` (torchrun / DDP / FSDP),
``fsdp_state``, ``data`` (loaders, frozen VAE), ``samples`` (sample videos), ``run`` (torchrun entry).
"""

from wpmodel.train.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from wpmodel.train.ema import EMA
from wpmodel.train.state_codec import decode_state, encode_state

__all__ = [
    "EMA",
    "decode_state",
    "encode_state",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "prune_checkpoints",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
]
