"""The tile rasterizer against the dense reference (images and gradients), and the public entry."""

from __future__ import annotations

import math

import pytest
import torch

from wpdata.splat.project import camera_position, project_gaussians
from wpdata.splat.raster_dense import rasterize_dense
from wpdata.splat.raster_tiles import bin_tiles, rasterize_tiles
from wpdata.splat.rasterize import rasterize
from wpdata.splat.sh import num_sh_bases, sh_to_rgb


def _scene(n: int, seed: int, sh_degree: int | None = None, device: str = "cpu", opaque: bool = False):
    """Gaussians before a camera at the origin looking down +z, some behind it and some off screen.

    ``opaque``: nearly opaque and larger, so that many pixels reach gsplat's transmittance cutoff.
    """
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(n, 3, generator=g) * torch.tensor([1.2, 0.8, 0.8]) + torch.tensor([0.0, 0.0, 3.0])
    means[: n // 10, 2] *= -1.0  # behind the camera
    means[n // 10 : n // 5, 0] += 8.0  # far off screen to the right
    quats = torch.randn(n, 4, generator=g)
    scales = torch.exp(torch.randn(n, 3, generator=g) * 0.5 - 2.8)
    opacities = torch.rand(n, generator=g) * 0.98 + 0.01
    if opaque:
        opacities, scales = 0.9 + 0.099 * opacities, scales * 2.0
    if sh_degree is None:
        colors = torch.rand(n, 3, generator=g)
    else:
        colors = torch.randn(n, num_sh_bases(sh_degree), 3, generator=g) * 0.3
    return [x.to(device) for x in (means, quats, scales, opacities, colors)]


def _camera(width: int, height: int, device: str = "cpu"):
    """World-to-camera (a small rotation) and pixel K."""
    a = 0.1
    viewmat = torch.eye(4)
    viewmat[:3, :3] = torch.tensor(
        [[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1.0]]
    )
    K = torch.tensor([[0.8 * width, 0, 0.5 * width], [0, 0.8 * width, 0.5 * height], [0, 0, 1.0]])
    return viewmat.to(device), K.to(device)


def _close(x: torch.Tensor, ref: torch.Tensor, tol: float = 1e-5) -> None:
    """Max abs difference within ``tol`` times the reference's scale (at least 1)."""
    scale = max(1.0, float(ref.abs().max()))
    diff = float((x - ref).abs().max())
    assert diff <= tol * scale, f"max abs diff {diff} vs scale {scale}"


def _render_both(width: int, height: int, tile_size: int, seed: int, opaque: bool = False, **kw):
    """Images, alphas and input gradients of the tile and the dense compositor on one projected scene."""
    means, quats, scales, opacities, colors = _scene(300, seed, opaque=opaque)
    viewmat, K = _camera(width, height)
    p = project_gaussians(means, quats, scales, viewmat, K, width, height, opacities=opacities)
    feats = torch.cat([colors, p.depths[:, None]], 1)  # [N, 4]
    g = torch.Generator().manual_seed(seed + 1)
    w_img = torch.randn(height, width, 4, generator=g)
    w_alpha = torch.randn(height, width, 1, generator=g)
    results = []
    for tiles in (True, False):
        ins = [x.detach().clone().requires_grad_() for x in (p.means2d, p.conics, opacities, feats)]
        if tiles:
            img, alpha = rasterize_tiles(*ins, p.depths, p.radii, width, height, tile_size, **kw)
        else:
            img, alpha = rasterize_dense(
                *ins, p.depths, (p.radii > 0).all(-1), width, height, pixel_chunk=200
            )
        ((img * w_img).sum() + (alpha * w_alpha).sum()).backward()
        results.append([img.detach(), alpha.detach()] + [x.grad for x in ins])
    return results, p


@pytest.mark.parametrize(
    "width,height,tile_size,opaque",
    [(32, 32, 8, False), (40, 24, 8, False), (40, 24, 16, False), (37, 29, 8, False), (40, 24, 8, True)],
)
def test_tiles_equal_dense_images_and_gradients(width, height, tile_size, opaque):
    (tile, dense), p = _render_both(width, height, tile_size, seed=width + tile_size, opaque=opaque)
    assert float(dense[1].max()) > 0.9 and float(dense[1].min()) < 0.5  # opaque and open regions
    if opaque:  # many pixels stop at the transmittance cutoff
        assert float((dense[1] > 1 - 1e-3).float().mean()) > 0.1
    culled = ~(p.radii > 0).all(-1)
    assert int(culled[:60].sum()) >= 50  # the behind and off-screen Gaussians are culled
    for name, x, ref in zip(
        ["image", "alpha", "means2d", "conics", "opacities", "feats"], tile, dense, strict=True
    ):
        assert x.shape == ref.shape, name
        _close(x, ref)
    assert float(tile[2].abs().sum()) > 0 and float(tile[2][culled].abs().sum()) == 0


def test_recomputing_backward_equals_saved_backward():
    saved, _ = _render_both(40, 24, 8, seed=5)
    recomputed, _ = _render_both(40, 24, 8, seed=5, save_bytes=0, batch_elems=4096)
    for x, ref in zip(recomputed[0], saved[0], strict=True):
        _close(x, ref, 1e-6)


def test_binning_puts_each_gaussian_in_the_tiles_its_box_touches():
    means, quats, scales, opacities, _ = _scene(300, 7)
    viewmat, K = _camera(40, 24)
    p = project_gaussians(means, quats, scales, viewmat, K, 40, 24, opacities=opacities)
    bins = bin_tiles(p.means2d, p.radii, p.depths, 40, 24, tile_size=8)
    assert bins.tiles_x == 5 and bins.tiles_y == 3
    assert (
        sorted(t for ts, _ in bins.batches for t in ts.tolist())
        == torch.nonzero(bins.counts).squeeze(1).tolist()
    )
    i = int(torch.nonzero((p.radii > 0).all(-1))[0])
    lo = torch.floor((p.means2d[i] - p.radii[i]) / 8).clamp(min=0)
    hi = torch.ceil((p.means2d[i] + p.radii[i]) / 8).clamp(max=torch.tensor([5.0, 3.0]))
    expect = {
        int(y) * 5 + int(x) for y in range(int(lo[1]), int(hi[1])) for x in range(int(lo[0]), int(hi[0]))
    }
    found = {
        t for t in range(15) if i in bins.gauss[bins.starts[t] : bins.starts[t] + bins.counts[t]].tolist()
    }
    assert found == expect and found
    for t in range(15):  # front to back within each tile
        d = p.depths[bins.gauss[bins.starts[t] : bins.starts[t] + bins.counts[t]]]
        assert (d[1:] >= d[:-1]).all()


def _dense_entry(means, quats, scales, opacities, colors, viewmat, K, width, height, sh_degree, background):
    """The same render as ``rasterize`` on CPU, composited by the dense reference."""
    p = project_gaussians(means, quats, scales, viewmat, K, width, height, opacities=opacities)
    rgb = colors if sh_degree is None else sh_to_rgb(colors, means, camera_position(viewmat), sh_degree)
    img, alpha = rasterize_dense(
        p.means2d, p.conics, opacities, torch.cat([rgb, p.depths[:, None]], 1), p.depths,
        (p.radii > 0).all(-1), width, height, pixel_chunk=256,
    )  # fmt: skip
    return img[..., :3] + background * (1 - alpha), alpha, img[..., 3:] / alpha.clamp(min=1e-10)


@pytest.mark.parametrize("sh_degree", [None, 0, 3])
def test_rasterize_gradients_reach_every_parameter(sh_degree):
    width, height = 40, 24
    params = _scene(250, 11, sh_degree)
    viewmat, K = _camera(width, height)
    bg = torch.tensor([0.1, 0.2, 0.3])
    outs = []
    for fn in ("rasterize", "dense"):
        ins = [x.clone().requires_grad_() for x in params]
        if fn == "rasterize":
            o = rasterize(*ins, viewmat, K, width, height, sh_degree=sh_degree, background=bg)
            assert o.rgb.shape == (height, width, 3) and o.alpha.shape == o.depth.shape == (height, width, 1)
            assert o.radii.shape == (250, 2) and o.means2d.shape == (250, 2)
            rgb, alpha, depth = o.rgb, o.alpha, o.depth
        else:
            rgb, alpha, depth = _dense_entry(*ins, viewmat, K, width, height, sh_degree, bg)
        loss = (rgb * torch.linspace(-1, 1, 3)).sum() + alpha.square().sum() + (depth * alpha).sum()
        loss.backward()
        outs.append([rgb.detach(), alpha.detach(), depth.detach()] + [x.grad for x in ins])
    names = ["rgb", "alpha", "depth", "means", "quats", "scales", "opacities", "colors"]
    for name, x, ref in zip(names, *outs, strict=True):
        assert torch.isfinite(x).all(), name
        _close(x, ref, 2e-5)
    assert all(float(g.abs().sum()) > 0 for g in outs[0][3:])


def test_background_and_expected_depth():
    width, height = 32, 32
    params = _scene(200, 13)
    viewmat, K = _camera(width, height)
    plain = rasterize(*params, viewmat, K, width, height)
    bg = torch.tensor([0.5, 0.25, 1.0])
    with_bg = rasterize(*params, viewmat, K, width, height, background=bg)
    torch.testing.assert_close(with_bg.rgb - plain.rgb, bg * (1 - plain.alpha))
    seen = plain.alpha[..., 0] > 0.5
    vis = (plain.radii > 0).all(-1)
    z = (params[0] @ viewmat[:3, :3].T + viewmat[:3, 3])[vis, 2]
    assert (plain.depth[seen] >= z.min() - 1e-4).all() and (plain.depth[seen] <= z.max() + 1e-4).all()


def test_gaussians_behind_the_camera_change_nothing():
    width, height = 32, 32
    means, quats, scales, opacities, colors = _scene(200, 17)
    keep = means[:, 2] > 0
    viewmat, K = _camera(width, height)
    a = rasterize(means, quats, scales, opacities, colors, viewmat, K, width, height)
    b = rasterize(
        means[keep], quats[keep], scales[keep], opacities[keep], colors[keep], viewmat, K, width, height
    )
    assert torch.equal(a.rgb, b.rgb) and torch.equal(a.alpha, b.alpha)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU for gsplat.rasterization")
@pytest.mark.parametrize("sh_degree", [None, 3])
def test_cpu_rasterizer_matches_gsplat_cuda(sh_degree):
    """Images, radii, screen-space centres and the screen-space gradients densification reads all agree."""
    width, height = 64, 48
    params = _scene(2000, 19, sh_degree)
    viewmat, K = _camera(width, height)
    bg = torch.tensor([0.1, 0.2, 0.3])
    w_rgb = torch.rand(height, width, 3, generator=torch.Generator().manual_seed(3))  # fixed loss weights

    def run(device: str):
        leaves = [x.detach().clone().to(device).requires_grad_(True) for x in params]
        out = rasterize(
            *leaves,
            viewmat.to(device),
            K.to(device),
            width,
            height,
            sh_degree=sh_degree,
            background=bg.to(device),
        )
        out.means2d.retain_grad()
        ((out.rgb * w_rgb.to(device)).sum() + out.alpha.sum()).backward()
        return out, [x.grad.cpu() for x in leaves]

    cpu, cpu_grads = run("cpu")
    gpu, gpu_grads = run("cuda")
    assert float(cpu.alpha.detach().max()) > 0.9
    for name in ("rgb", "alpha"):
        diff = (getattr(cpu, name) - getattr(gpu, name).cpu()).abs().detach()
        assert float(diff.mean()) < 1e-4 and float(diff.max()) < 1e-2, (
            name,
            float(diff.mean()),
            float(diff.max()),
        )
    assert float((cpu.radii - gpu.radii.cpu()).abs().max()) <= 1
    assert gpu.means2d.shape == (1, 2000, 2)  # gsplat's own batched tensor, kept for its strategies
    n = len(cpu.radii)
    vis = (cpu.radii.reshape(n, -1) > 0).all(-1) & (gpu.radii.cpu().reshape(n, -1) > 0).all(
        -1
    )  # gsplat zeroes culled
    assert int(vis.sum()) > 500
    torch.testing.assert_close(
        cpu.means2d.detach()[vis], gpu.means2d[0].detach().cpu()[vis], rtol=1e-4, atol=1e-3
    )
    g_cpu, g_gpu = (
        cpu.means2d.grad[vis],
        gpu.means2d.grad[0].cpu()[vis],
    )  # [V, 2] what DefaultStrategy accumulates
    scale = float(g_cpu.abs().max())
    err = float((g_cpu - g_gpu).abs().max())
    assert err < 2e-2 * scale, ("means2d grad", err, scale, float(g_gpu.norm() / g_cpu.norm()))
    for name, a, b in zip(
        ("means", "quats", "scales", "opacities", "colors"), cpu_grads, gpu_grads, strict=True
    ):
        big = float(a.abs().max())
        assert float((a - b).abs().max()) < 2e-2 * big, (name, float((a - b).abs().max()), big)
