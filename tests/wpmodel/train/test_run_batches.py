"""run_batches: epochs in turn, resumed mid-epoch, the position a checkpoint records, empty data refused."""

from __future__ import annotations

from itertools import islice

import pytest
import torch

from wpmodel.train.data import run_batches
from wpmodel.train.dist import DistInfo


class EpochList:
    """Batches named by (epoch, index), as a loader with set_epoch gives them."""

    def __init__(self, per_epoch: int) -> None:
        self.per_epoch, self.epoch = per_epoch, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        return iter([{"id": (self.epoch, i)} for i in range(self.per_epoch)])


def test_epochs_follow_each_other_and_resume_where_they_stopped() -> None:
    info = DistInfo(0, 1, 0, torch.device("cpu"), None)
    got = [(b["id"], e, p) for b, e, p in islice(run_batches(EpochList(3), 0, 0, info), 7)]
    assert got == [((0, 0), 0, 1), ((0, 1), 0, 2), ((0, 2), 0, 3),
                   ((1, 0), 1, 1), ((1, 1), 1, 2), ((1, 2), 1, 3), ((2, 0), 2, 1)]  # fmt: skip
    resumed = [(b["id"], e, p) for b, e, p in islice(run_batches(EpochList(3), 1, 2, info), 2)]
    assert resumed == [((1, 2), 1, 3), ((2, 0), 2, 1)]  # a checkpoint at (1, 2) goes on from batch 2


def test_an_epoch_without_batches_is_an_error() -> None:
    with pytest.raises(ValueError, match="the distillation data yielded no batch in epoch 0"):
        next(run_batches(EpochList(0), 0, 0, DistInfo(0, 1, 0, torch.device("cpu"), None), "distillation"))
