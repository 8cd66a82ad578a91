"""pick_device: a bare "cuda" names this process's GPU (torch.cuda.set_device and DDP need an index)."""

from __future__ import annotations

import torch

from wpmodel.train.dist import pick_device


def test_bare_cuda_gets_the_local_rank_index() -> None:
    assert pick_device("cuda", 0) == torch.device("cuda:0")
    assert pick_device("cuda", 3) == torch.device("cuda:3")
    assert pick_device("cuda:1", 3) == torch.device("cuda:1")  # an explicit index is kept
    assert pick_device("cpu", 2) == torch.device("cpu")
    expected = torch.device("cuda:2") if torch.cuda.is_available() else torch.device("cpu")
    assert pick_device("auto", 2) == expected
