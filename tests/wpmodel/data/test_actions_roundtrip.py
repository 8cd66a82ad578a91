"""Action labels round-trip through the manifests vocabulary: keys -> label -> shard -> reader -> keys,
and every one of the 81 labels gets its own action embedding in the DiT."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from manifests.actions import NUM_ACTIONS, keys_to_label, label_to_keys
from manifests.layout import num_latents
from wpmodel.data import make_loader


def test_labels_from_keys_survive_the_shard_and_the_reader(kit: SimpleNamespace) -> None:
    presses = [
        {"W"},
        {"W", "right"},
        {"S", "A"},
        {"D", "up"},
        set(),
        {"A", "left", "down"},
        {"S"},
        {"W", "D"},
    ]
    labels = [keys_to_label(k) for k in presses]
    T = 4 * (len(labels) - 1) + 1
    assert num_latents(T) == len(labels)
    members = kit.sample("k", T, latent=False)
    members["action.npy"] = kit.npy(np.asarray(labels, np.int16))
    shard = kit.write_tar(kit.tmp / "shards" / "a.tar", [("k", members)])
    (batch,) = list(make_loader([str(shard)], 1, window_latents=len(labels), latents=False, seed=0))
    got = batch["actions"][0].tolist()
    assert got[0] == 0  # a window's first latent has no previous latent: the release's "none"
    assert [label_to_keys(x) for x in got[1:]] == [frozenset(k) for k in presses[1:]]


def test_each_of_the_81_labels_has_its_own_action_embedding() -> None:
    from wpmodel.dit.config import DiTConfig
    from wpmodel.dit.model import WorldPlayDiT

    torch.manual_seed(0)
    model = WorldPlayDiT(DiTConfig.preset("tiny"))
    for p in model.parameters():  # give the zero-initialised last layer weights, as training would
        if p.abs().sum() == 0:
            torch.nn.init.normal_(p, std=0.02)
    embedders = [m for name, m in model.named_modules() if "action" in name.lower() and hasattr(m, "mlp")]
    assert embedders, "the DiT has no action embedder"
    emb = embedders[0](torch.arange(NUM_ACTIONS))  # [81, hidden]
    dist = torch.cdist(emb, emb) + torch.eye(NUM_ACTIONS) * 1e9
    assert dist.min() > 1e-6  # 81 distinct conditioning vectors
