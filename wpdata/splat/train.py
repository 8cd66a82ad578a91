"""Gaussian-splatting reconstruction of a `SceneData`: normalise, initialise, optimise L1 + D-SSIM,
checkpoint (exact resume), export a 3DGS .ply and score the held-out views.

On CUDA the rasterizer is gsplat's and densification is gsplat's DefaultStrategy or MCMCStrategy.
On CPU the project's own rasterizer runs and, by default, no densification happens (the count stays
what initialisation gave: densifying on 2 cores costs more time per step than it returns).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from manifests.atomic import atomic_save_npz, atomic_write_text
from wpdata.scenes import SceneData, load_images, normalize_scene, validate_scene

from .checkpoint import (
    TrainState,
    has_checkpoint,
    load_checkpoint,
    params_from_checkpoint,
    restore_state,
    save_checkpoint,
)
from .evaluate import evaluate_views, psnr, render_view
from .gaussians import init_from_points, init_random
from .ply import write_ply
from .ssim import ssim
from .train_config import TrainConfig


class SplatDivergedError(RuntimeError):
    """The optimisation produced a non-finite loss or its training PSNR collapsed."""


def _device(cfg: TrainConfig) -> torch.device:
    if cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(cfg.device)


def scene_scale(c2w: np.ndarray) -> float:
    """gsplat's scene scale: 1.1 x the largest camera distance from the cameras' mean."""
    centres = c2w[:, :3, 3]
    return 1.1 * float(np.linalg.norm(centres - centres.mean(0), axis=1).max())


def init_params(scene: SceneData, cfg: TrainConfig) -> torch.nn.ParameterDict:
    """Gaussians from the (normalised) scene's points, or at random inside the camera hull."""
    use_points = cfg.init == "points" or (cfg.init == "auto" and len(scene.points) >= cfg.init_min_points)
    if use_points:
        if len(scene.points) < 4:
            raise ValueError(f"init='points' but the scene has {len(scene.points)} sparse points")
        return init_from_points(
            scene.points,
            scene.point_colors,
            cfg.sh_degree,
            cfg.init_voxel_size,
            cfg.init_opacity,
            cfg.init_scale,
        )
    return init_random(
        scene.c2w, cfg.init_num_random, cfg.sh_degree, cfg.seed, cfg.init_opacity, cfg.init_scale
    )


def make_optimizers(
    params: torch.nn.ParameterDict, cfg: TrainConfig, scale: float
) -> dict[str, torch.optim.Optimizer]:
    """One Adam per parameter group (gsplat's layout, which its strategies expect)."""
    lrs = {
        "means": cfg.lr_means * scale, "scales": cfg.lr_scales, "quats": cfg.lr_quats,
        "opacities": cfg.lr_opacities, "sh0": cfg.lr_sh0, "shN": cfg.lr_shN,
    }  # fmt: skip
    return {k: torch.optim.Adam([{"params": params[k], "lr": lrs[k], "name": k}], eps=1e-15) for k in params}


def _strategy(cfg: TrainConfig, device: torch.device):
    kind = ("default" if device.type == "cuda" else "none") if cfg.strategy == "auto" else cfg.strategy
    if kind == "none":
        return None
    from gsplat.strategy import DefaultStrategy, MCMCStrategy

    if kind == "default":
        return DefaultStrategy(**cfg.strategy_kwargs)
    if kind == "mcmc":
        return MCMCStrategy(cap_max=cfg.cap_max, **cfg.strategy_kwargs)
    raise ValueError(f"unknown strategy {cfg.strategy!r} (auto | default | mcmc | none)")


def _as_batched(t: torch.Tensor, last: int) -> torch.Tensor:
    return t[None] if t.dim() == last else t


def _loss(
    pred: torch.Tensor, gt: torch.Tensor, params: torch.nn.ParameterDict, cfg: TrainConfig
) -> torch.Tensor:
    """(1 - lambda) L1 + lambda (1 - SSIM); MCMC adds gsplat's opacity and scale regularisers."""
    loss = (1 - cfg.ssim_lambda) * (pred - gt).abs().mean()
    loss = loss + cfg.ssim_lambda * (1 - ssim(pred, gt, padding="same"))
    if cfg.strategy == "mcmc":
        reg = torch.sigmoid(params["opacities"]).mean() + torch.exp(params["scales"]).mean()
        loss = loss + 0.01 * reg
    return loss


def _densify(
    strategy, st: TrainState, out, width: int, height: int, lr_means: float, cfg: TrainConfig
) -> None:
    """One gsplat strategy step from the rendered view's screen-space gradients."""
    if out.means2d.grad is None:
        raise RuntimeError("the rasterizer's means2d is not in the graph: densification needs its gradient")
    info = {
        "width": width, "height": height, "n_cameras": 1, "radii": _as_batched(out.radii, 2),
        "gaussian_ids": None, "means2d": SimpleNamespace(grad=_as_batched(out.means2d.grad, 2)),
    }  # fmt: skip
    kw = {"lr": lr_means} if cfg.strategy == "mcmc" else {"packed": False}
    strategy.step_post_backward(st.params, st.optimizers, st.strategy_state, st.step, info, **kw)


def _evaluate(
    params, scene: SceneData, images: list[torch.Tensor], sh_deg: int, bg, cfg: TrainConfig
) -> dict:
    """PSNR / SSIM over the scene's held-out views."""
    t = scene.test_idx
    imgs = [images[i] for i in t]
    return evaluate_views(
        params, scene.c2w[t], scene.K[t], scene.widths[t], scene.heights[t], imgs, sh_deg, bg, cfg.tile_size
    )


def train(
    scene: SceneData, images: list[torch.Tensor], out_dir: str | os.PathLike, cfg: TrainConfig,
    stop_at_step: int | None = None,
) -> TrainState:  # fmt: skip
    """Optimise on the normalised ``scene``'s train views, resuming from ``out_dir``; returns the state."""
    device = _device(cfg)
    scale = scene_scale(scene.c2w)
    ckpt = load_checkpoint(out_dir, device) if has_checkpoint(out_dir) else None
    torch.manual_seed(cfg.seed)
    params = (params_from_checkpoint(ckpt[1]) if ckpt else init_params(scene, cfg)).to(device)
    gen = torch.Generator().manual_seed(cfg.seed)
    st = TrainState(params, make_optimizers(params, cfg, scale), gen)
    strategy = _strategy(cfg, device)
    if strategy is not None:
        strategy.check_sanity(params, st.optimizers)
        st.strategy_state = strategy.initialize_state(
            **({"scene_scale": scale} if cfg.strategy != "mcmc" else {})
        )
    if ckpt:
        restore_state(st, *ckpt)
    bg = None if cfg.background is None else torch.tensor(cfg.background, dtype=torch.float32, device=device)
    train_idx = torch.as_tensor(scene.train_idx, dtype=torch.int64)
    test = scene.test_idx
    last_ckpt_s, ema, best = st.train_seconds, st.meta.get("ema"), st.meta.get("best", -1e9)
    while st.step < cfg.iterations and (cfg.time_budget_s is None or st.train_seconds < cfg.time_budget_s):
        if stop_at_step is not None and st.step >= stop_at_step:
            break
        sh_deg = min(st.step // max(cfg.sh_degree_interval, 1), cfg.sh_degree)
        due = [s for s in cfg.eval_at_s if s <= st.train_seconds and s not in {h["at_s"] for h in st.history}]
        if due and test:  # evaluation time is not training time
            m = _evaluate(params, scene, images, sh_deg, bg, cfg)
            st.history += [{"at_s": s, "step": st.step, "train_seconds": st.train_seconds, **m} for s in due]
        t0 = time.perf_counter()
        if len(st.order) == 0:
            st.order = train_idx[torch.randperm(len(train_idx), generator=st.generator)]
        i, st.order = int(st.order[0]), st.order[1:]
        frac = st.step / max(cfg.iterations, 1)
        lr_means = cfg.lr_means * scale * cfg.lr_means_final_ratio**frac
        for g in st.optimizers["means"].param_groups:
            g["lr"] = lr_means
        out = render_view(
            params, scene.c2w[i], scene.K[i], scene.widths[i], scene.heights[i], sh_deg, bg, cfg.tile_size
        )
        loss = _loss(out.rgb, images[i], params, cfg)  # [H, W, 3] vs [H, W, 3]
        if not torch.isfinite(loss):
            raise SplatDivergedError(f"non-finite loss {float(loss)} at step {st.step}")
        if strategy is not None:
            out.means2d.retain_grad()
        loss.backward()
        for opt in st.optimizers.values():
            opt.step()
            opt.zero_grad(set_to_none=True)
        if strategy is not None:  # after the optimiser step, as gsplat's trainer
            _densify(strategy, st, out, int(scene.widths[i]), int(scene.heights[i]), lr_means, cfg)
        if not all(bool(torch.isfinite(v).all()) for v in params.values()):
            raise SplatDivergedError(f"non-finite Gaussian parameters after step {st.step}")
        st.step += 1
        st.train_seconds += time.perf_counter() - t0
        p = psnr(out.rgb.detach(), images[i])
        ema = p if ema is None else 0.9 * ema + 0.1 * p
        best = max(best, ema)
        if st.step > 50:  # past the EMA's warm-up
            if ema < best - cfg.divergence_drop_db:
                raise SplatDivergedError(
                    f"training PSNR collapsed to {ema:.1f} dB (best {best:.1f}) at step {st.step}"
                )
        st.meta.update(ema=ema, best=best)
        if cfg.log_every and st.step % cfg.log_every == 0:
            n = len(params["means"])
            print(
                f"step {st.step} loss {float(loss.detach()):.4f} psnr {ema:.2f} t {st.train_seconds:.0f}s n {n}"
            )
        if st.step % cfg.checkpoint_every == 0 or st.train_seconds - last_ckpt_s >= cfg.checkpoint_every_s:
            t1 = time.perf_counter()
            save_checkpoint(out_dir, st, cfg.keep_checkpoints)
            st.train_seconds += time.perf_counter() - t1
            last_ckpt_s = st.train_seconds
    save_checkpoint(out_dir, st, cfg.keep_checkpoints)
    return st


def reconstruct(scene: SceneData, out_dir: str | os.PathLike, config: TrainConfig | None = None) -> dict:
    """Reconstruct ``scene`` into ``out_dir`` (resuming from its checkpoint); the `scenes` manifest fields.

    Writes ``splat.ply`` (normalised frame), ``cameras.npz`` (normalised c2w, K, sizes, split and the
    similarity ``transform`` original -> normalised) and ``metrics.json`` (with the evaluation history).
    """
    cfg = config or TrainConfig()
    out = Path(out_dir)
    validate_scene(scene)
    if not scene.test_idx or not scene.train_idx:
        raise ValueError("scene needs both train and test views")
    norm, T = normalize_scene(scene)
    device = _device(cfg)
    images = [
        torch.as_tensor(im, device=device).float() / 255.0 for im in load_images(norm)
    ]  # [H, W, 3] each
    st = train(norm, images, out, cfg)
    test = norm.test_idx
    bg = None if cfg.background is None else torch.tensor(cfg.background, dtype=torch.float32, device=device)
    m = _evaluate(
        st.params, norm, images, min(st.step // max(cfg.sh_degree_interval, 1), cfg.sh_degree), bg, cfg
    )
    ply = write_ply(out / "splat.ply", st.params)
    cams = atomic_save_npz(
        out / "cameras.npz", c2w=norm.c2w, K=norm.K, widths=norm.widths, heights=norm.heights, transform=T,
        train_idx=np.asarray(norm.train_idx), test_idx=np.asarray(norm.test_idx),
    )  # fmt: skip
    fields = {
        "source_format": scene.source_format,
        "path": str(scene.root),
        "width": int(scene.widths[0]),
        "height": int(scene.heights[0]),
        "num_images": scene.num_images,
        "num_train": len(norm.train_idx),
        "num_test": len(test),
        "num_points": len(scene.points),
        "num_gaussians": len(st.params["means"]),
        "iterations": st.step,
        "psnr_test": m["psnr"],
        "ssim_test": m["ssim"],
        "lpips_test": None,
        "train_seconds": st.train_seconds,
        "ply_path": str(ply),
        "cameras_path": str(cams),
    }
    atomic_write_text(out / "metrics.json", json.dumps({**fields, "history": st.history}, indent=1) + "\n")
    return fields
