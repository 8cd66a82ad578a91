"""LPIPS with weights the test builds and saves itself (no real LPIPS weights exist on this machine):
identical images -> 0, distance grows with noise, the lpips-package / torchvision file layouts load to
the same network, and no weights path means no LPIPS at all."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from wpmodel.eval import LPIPS, load_lpips


def _weights(net: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in the lpips package's names: random backbone, non-negative heads (as learned ones)."""
    torch.manual_seed(seed)
    model = LPIPS(net)
    with torch.no_grad():
        for k in range(5):
            getattr(model, f"lin{k}").model[1].weight.uniform_(0.0, 1.0)
    return {k: v.contiguous() for k, v in model.state_dict().items()}


def _frames(seed: int = 0, T: int = 3, size: int = 48) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (T, size // 8, size // 8, 3)).astype(np.uint8)
    return np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)  # [T, size, size, 3] blocky texture


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_is_zero_on_identical_frames_and_monotone_in_noise(tmp_path, net):
    save_file(_weights(net), str(tmp_path / "lpips.safetensors"))
    lp = load_lpips(tmp_path / "lpips.safetensors")
    assert lp is not None and lp.net_name == net
    gt = _frames()
    np.testing.assert_allclose(lp.frames(gt, gt), 0.0, atol=1e-7)
    rng = np.random.default_rng(1)
    d = [lp.frames(np.clip(gt + rng.normal(0, s, gt.shape), 0, 255).astype(np.uint8), gt).mean()
         for s in (4, 16, 64)]  # fmt: skip
    assert 0 < d[0] < d[1] < d[2]


def test_torchvision_backbone_plus_head_files_load_the_same_network(tmp_path):
    full = _weights("alex", seed=3)
    save_file(full, str(tmp_path / "full.safetensors"))
    split = tmp_path / "split"
    split.mkdir()
    backbone = {}  # torchvision names: net.slice{k}.{i}.w -> features.{i}.w
    for k, v in full.items():
        if k.startswith("net.slice"):
            backbone["features." + k.split(".", 2)[2]] = v
    torch.save(backbone, split / "alexnet-owt.pth")
    torch.save({k: v for k, v in full.items() if k.startswith("lin")}, split / "alex.pth")
    a, b = load_lpips(tmp_path / "full.safetensors"), load_lpips(split)
    x, y = _frames(4), _frames(5)
    np.testing.assert_allclose(a.frames(x, y), b.frames(x, y), rtol=1e-6)


def test_without_a_path_there_is_no_lpips_and_incomplete_weights_are_refused(tmp_path):
    assert load_lpips(None) is None
    w = _weights("alex")
    del w["lin2.model.1.weight"]
    save_file(w, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="lin2"):
        load_lpips(tmp_path / "bad.safetensors")
    with pytest.raises(FileNotFoundError):
        load_lpips(tmp_path / "nothing.pth")
