import numpy as np
import pytest
import torch

from wpmodel.dit import WorldPlayDiT
from wpmodel.train.data import train_loader
from wpmodel.train.dist import DistInfo
from wpmodel.train.step import training_step

CPU = DistInfo(0, 1, 0, torch.device("cpu"), None)


def first_batch(cfg):
    return next(iter(train_loader(cfg, CPU)))


def capture(model):
    """Record the kwargs of the model's forward and keep its output's gradient."""
    seen = {}

    def pre(module, args, kwargs):
        seen["args"], seen["kwargs"] = args, kwargs

    def post(module, args, kwargs, out):
        out.retain_grad()
        seen["out"] = out

    model.register_forward_pre_hook(pre, with_kwargs=True)
    model.register_forward_hook(post, with_kwargs=True)
    return seen


def test_memory_mode_puts_the_loss_on_the_target_chunk_only(kit, shards, tmp_path):
    cfg = kit.tiny_config(tmp_path, shards, train={"p_memory": 1.0})
    model = WorldPlayDiT(cfg.model.dit_config())
    seen = capture(model)
    out = training_step(model, first_batch(cfg), torch.Generator().manual_seed(0), cfg)
    out.loss.backward()
    grad = seen["out"].grad.abs().flatten(2).sum(-1)  # [B, n]
    assert all(w.memory_mode for w in out.windows)
    assert out.loss_mask[:, :20].sum() == 0 and out.loss_mask[:, 20:].all()
    assert torch.all(grad[:, :20] == 0), "context latents must not receive loss gradient"
    assert torch.all(grad[:, 20:] > 0)
    # context chunks: one lightly-noised time each (release [500, 985] of 1000 -> t in ~[0.044, 0.75])
    t = out.t[:, :20].reshape(2, 5, 4)
    assert torch.all(t == t[..., :1]) and t.min() >= 0.04 and t.max() <= 0.76
    ti = seen["kwargs"]["time_index"]
    assert torch.equal(ti[0], torch.arange(24, dtype=ti.dtype))  # reframed: contiguous, target right after


def test_plain_mode_trains_every_latent_with_per_chunk_times(kit, shards, tmp_path):
    cfg = kit.tiny_config(tmp_path, shards, train={"p_memory": 0.0})
    model = WorldPlayDiT(cfg.model.dit_config())
    seen = capture(model)
    out = training_step(model, first_batch(cfg), torch.Generator().manual_seed(1), cfg)
    out.loss.backward()
    assert not any(w.memory_mode for w in out.windows) and out.loss_mask.all()
    assert torch.all(seen["out"].grad.abs().flatten(2).sum(-1) > 0)
    t = out.t.reshape(2, 6, 4)
    assert torch.all(t == t[..., :1]) and len(torch.unique(t)) > 6  # per chunk, not per sample
    expected = (out.per_frame * out.loss_mask).sum() / out.loss_mask.sum()
    assert torch.allclose(out.loss.detach(), expected, rtol=1e-5)


def test_cameras_are_w2c_of_latent_frames_and_normalised_K(kit, shards, tmp_path):
    cfg = kit.tiny_config(tmp_path, shards, train={"p_memory": 1.0})
    batch = first_batch(cfg)
    model = WorldPlayDiT(cfg.model.dit_config())
    seen = capture(model)
    out = training_step(model, batch, torch.Generator().manual_seed(2), cfg)
    kw = seen["kwargs"]
    for b, w in enumerate(out.windows):
        c2w = batch["c2w"][b, ::4][torch.from_numpy(w.indices)].double()  # latent i uses frame 4i
        eye = kw["viewmats"][b].double() @ c2w
        assert torch.allclose(eye, torch.eye(4, dtype=torch.float64).expand_as(eye), atol=1e-5)
        assert torch.equal(kw["actions"][b], batch["actions"][b][torch.from_numpy(w.indices)])
    Ks = kw["Ks"]
    assert torch.allclose(Ks[..., 0, 0], torch.tensor(40 / 64)) and torch.all(Ks[..., :2, 2] == 0.5)


def test_caption_drop_and_missing_captions_give_zero_embeddings(kit, shards, tmp_path):
    cfg = kit.tiny_config(tmp_path, shards)
    batch = first_batch(cfg)
    batch["has_caption"] = torch.tensor([False, True])
    model = WorldPlayDiT(cfg.model.dit_config())
    seen = capture(model)
    training_step(model, batch, torch.Generator().manual_seed(0), cfg, caption_drop=0.0)
    cap = seen["kwargs"]["caption"]
    assert torch.all(cap[0] == 0) and torch.equal(cap[1], batch["caption_embedding"][1])
    training_step(model, batch, torch.Generator().manual_seed(0), cfg, caption_drop=1.0)
    assert torch.all(seen["kwargs"]["caption"] == 0)
    batch["has_caption"] = torch.tensor([True, True])
    kept = [training_step(model, batch, torch.Generator().manual_seed(s), cfg, caption_drop=0.5).caption_kept
            for s in range(40)]  # fmt: skip
    frac = torch.stack(kept).float().mean().item()
    assert 0.3 < frac < 0.7


def test_a_step_is_a_function_of_the_generator_seed(kit, shards, tmp_path):
    cfg = kit.tiny_config(tmp_path, shards)
    batch = first_batch(cfg)
    model = WorldPlayDiT(cfg.model.dit_config())
    a, b, c = (
        training_step(model, batch, torch.Generator().manual_seed(s), cfg).loss.item() for s in (5, 5, 6)
    )
    assert a == b and a != c and np.isfinite(a)


def test_video_batches_need_a_vae(kit, shards, tmp_path):
    cfg = kit.tiny_config(tmp_path, shards)
    batch = first_batch(cfg)
    batch["video"] = torch.zeros(2, 93, 3, 32, 32)
    del batch["latents"]
    with pytest.raises(ValueError, match="no VAE"):
        training_step(WorldPlayDiT(cfg.model.dit_config()), batch, torch.Generator(), cfg)


@pytest.mark.parametrize("mode", ["reframed", "absolute"])
def test_time_mode_sets_the_rope_time_of_memory_windows(mode):
    from wpmodel.train.config import TrainConfig
    from wpmodel.train.step import make_windows

    cfg = TrainConfig.from_dict({"train": {"p_memory": 1.0, "time_mode": mode}})
    T = 48  # 12 chunks: far enough back for memory
    c2w = torch.from_numpy(np.tile(np.eye(4), (2, T, 1, 1)))  # [2, T, 4, 4]
    c2w[..., 2, 3] = torch.arange(T, dtype=torch.float64) * 0.1
    for w in make_windows(T, c2w, cfg, 4, np.random.default_rng(0)):
        assert w.memory_mode
        want = w.indices if mode == "absolute" else np.arange(len(w.indices))
        np.testing.assert_array_equal(w.time_index, want)
    with pytest.raises(ValueError, match="time_mode"):
        TrainConfig.from_dict({"train": {"time_mode": "relative"}})
