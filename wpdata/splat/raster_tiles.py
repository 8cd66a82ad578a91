"""The CPU tile-binned compositor: front-to-back alpha compositing with a hand-written backward.

gsplat's rasterizer is CUDA-only and its pure-torch fallback needs CUDA (``rasterize_to_indices_in_range``)
and a Python loop for binning (``_isect_tiles``), so CPU rendering is done here. Binning is vectorised
(one sort over tile x depth-rank keys); tiles are sorted by load and composited in batches padded to
the batch's largest tile, laid out [B, P, G] (tile, pixel, Gaussian front to back); the skinny
matmuls are computed transposed (F x G times G x P), which MKL runs ~3x faster on CPU. Each exponent is
evaluated as gsplat's kernel does, from pixel-centre deltas (so it is bit-equal to the dense
reference), built separably from per-row and per-column terms; transmittance is an exclusive cumsum
of log(1 - alpha). The backward uses the closed-form gradients of the compositing sum, from batch
intermediates kept by the forward while they fit ``save_bytes`` and recomputed otherwise.
Alpha rules are gsplat's (see ``raster_dense``).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .project import ALPHA_THRESHOLD
from .raster_dense import T_MIN


class TileBins(NamedTuple):
    """Gaussian-tile pairs sorted by (tile, depth), and tiles grouped into compositing batches."""

    gauss: torch.Tensor  # [I] Gaussian index of each pair, tile-major then front to back
    starts: torch.Tensor  # [n_tiles] first pair of each tile
    counts: torch.Tensor  # [n_tiles] pairs per tile
    batches: list  # of (tile ids [B] int64, padded length G)
    tiles_x: int
    tiles_y: int
    tile_size: int


def bin_tiles(
    means2d: torch.Tensor,  # [N, 2]
    radii: torch.Tensor,  # [N, 2] int, 0 = culled
    depths: torch.Tensor,  # [N]
    width: int,
    height: int,
    tile_size: int = 8,
    batch_elems: int = 1 << 20,
) -> TileBins:
    """Tiles each visible Gaussian's radius box touches (gsplat's rule), in depth order per tile."""
    ts = tile_size
    tw, th = (width + ts - 1) // ts, (height + ts - 1) // ts
    with torch.no_grad():
        vis = torch.nonzero((radii > 0).all(-1)).squeeze(1)  # [M]
        m, r = means2d.detach()[vis].float(), radii[vis].float()  # [M, 2]
        lo, hi = torch.floor((m - r) / ts), torch.ceil((m + r) / ts)
        x0, x1 = lo[:, 0].clamp(0, tw).long(), hi[:, 0].clamp(0, tw).long()
        y0, y1 = lo[:, 1].clamp(0, th).long(), hi[:, 1].clamp(0, th).long()
        nx = x1 - x0
        n = nx * (y1 - y0)  # [M] tiles per Gaussian
        owner = torch.repeat_interleave(torch.arange(len(vis)), n)  # [I]
        k = torch.arange(len(owner)) - (torch.cumsum(n, 0) - n)[owner]
        tile = (y0[owner] + k // nx[owner]) * tw + x0[owner] + k % nx[owner]  # [I]
        rank = torch.empty(len(vis), dtype=torch.long)
        rank[torch.argsort(depths.detach()[vis], stable=True)] = torch.arange(len(vis))
        order = torch.argsort(tile * max(len(vis), 1) + rank[owner])
        gauss = vis[owner[order]]
        counts = torch.bincount(tile, minlength=tw * th)  # [n_tiles]
        starts = torch.cumsum(counts, 0) - counts
        by_load = torch.argsort(counts, descending=True, stable=True)
        loads = counts[by_load].tolist()
        batches, i = [], 0
        while i < len(loads) and loads[i] > 0:
            B = max(1, batch_elems // (loads[i] * ts * ts))
            batches.append((by_load[i : i + B], loads[i]))
            i += B
    return TileBins(gauss, starts, counts, batches, tw, th, ts)


def _below(x: float, dtype: torch.dtype) -> float:
    """The largest ``dtype`` value below ``x``: ``threshold(t, _below(x), v)`` keeps t >= x."""
    return float(torch.nextafter(torch.tensor(x, dtype=dtype), torch.tensor(-float("inf"), dtype=dtype)))


class _Geometry(NamedTuple):
    """Per-pair geometry of one batch (small: no pixel axis of size P)."""

    ids: torch.Tensor  # [B, G] Gaussian ids (padding points at 0)
    valid: torch.Tensor  # [B, G]
    dx: torch.Tensor  # [B, ts, G] mean x - pixel-centre x, per tile column
    dy: torch.Tensor  # [B, ts, G] mean y - pixel-centre y, per tile row
    abc: torch.Tensor  # [B, 1, G, 3] conics
    op: torch.Tensor  # [B, G] opacities, 0 on padding


def _geometry(bins: TileBins, tiles: torch.Tensor, G: int, means2d, conics, opacities) -> _Geometry:
    """Gather the Gaussians of a batch of tiles and their offsets to the tiles' pixel centres."""
    ts = bins.tile_size
    g = torch.arange(G)
    valid = g[None, :] < bins.counts[tiles][:, None]  # [B, G]
    ids = bins.gauss[(bins.starts[tiles][:, None] + g[None, :]).clamp(max=max(len(bins.gauss) - 1, 0))]
    u = torch.arange(ts, dtype=means2d.dtype)
    px = (tiles % bins.tiles_x * ts).to(means2d.dtype)[:, None] + u + 0.5  # [B, ts]
    py = (tiles // bins.tiles_x * ts).to(means2d.dtype)[:, None] + u + 0.5  # [B, ts]
    m = means2d[ids]  # [B, G, 2]
    dx = m[..., 0][:, None, :] - px[:, :, None]  # [B, ts, G]
    dy = m[..., 1][:, None, :] - py[:, :, None]  # [B, ts, G]
    op = opacities[ids] * valid  # [B, G]
    return _Geometry(ids, valid, dx, dy, conics[ids][:, None], op)


def _composite_batch(geo: _Geometry, ts: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Alpha, inclusive transmittance (0 once done) and weights of one batch, each [B, P, G]."""
    B, G = geo.ids.shape
    a, b, c = geo.abc.unbind(-1)  # [B, 1, G]
    xx = (a * geo.dx * geo.dx) * 0.5  # [B, ts, G] per column
    yy = (c * geo.dy * geo.dy) * 0.5  # per row
    sigma = xx[:, None, :, :] + yy[:, :, None, :]  # [B, row, col, G]
    sigma += (b * geo.dx)[:, None, :, :] * geo.dy[:, :, None, :]  # same rounding as gsplat's expression
    sigma = sigma.view(B, ts * ts, G)
    # sigma < 0 is skipped (gsplat's rule) and sigma > 50 gives alpha < 1/255 anyway: both map to 50,
    # which keeps exp on its fast path (torch's CPU exp is ~10x slower far outside the normal range)
    F.threshold_(sigma, _below(0.0, sigma.dtype), 50.0).clamp_(max=50.0)
    alpha = sigma.neg_().exp_().mul_(geo.op[:, None, :]).clamp_max_(0.999)
    F.threshold_(alpha, _below(ALPHA_THRESHOLD, alpha.dtype), 0.0)  # alpha < 1/255: skipped
    one_minus = 1.0 - alpha
    t_incl = torch.cumsum(torch.log(one_minus), -1).exp_()
    F.threshold_(t_incl, T_MIN, 0.0)  # stop before the Gaussian that takes T to 1e-4
    w = alpha * t_incl / one_minus  # alpha * exclusive transmittance
    return alpha, t_incl, w


class TileComposite(torch.autograd.Function):
    """Composite features [N, F] of projected Gaussians over binned tiles; returns [Hp, Wp, F + 1]."""

    @staticmethod
    def forward(ctx, means2d, conics, opacities, feats, bins: TileBins, save_bytes: int):
        ts, nf = bins.tile_size, feats.shape[1]
        ones = torch.ones_like(feats[:, :1])
        feats1 = torch.cat([feats, ones], 1)  # [N, F + 1] last column: alpha
        out = torch.zeros(bins.tiles_y * bins.tiles_x, ts * ts, nf + 1, dtype=feats.dtype)  # [T, P, F + 1]
        saved, budget = [], save_bytes
        for tiles, G in bins.batches:
            geo = _geometry(bins, tiles, G, means2d, conics, opacities)
            alpha, t_incl, w = _composite_batch(geo, ts)
            out_t = torch.bmm(feats1[geo.ids].transpose(1, 2), w.transpose(1, 2))  # [B, F + 1, P]
            out[tiles] = out_t.transpose(1, 2)
            budget -= 3 * w.numel() * w.element_size()
            saved.append((geo, alpha, t_incl, w) if budget >= 0 else None)
        ctx.save_for_backward(means2d, conics, opacities, feats1)
        ctx.bins, ctx.saved = bins, saved
        img = out.reshape(bins.tiles_y, bins.tiles_x, ts, ts, nf + 1).permute(0, 2, 1, 3, 4)
        return img.reshape(bins.tiles_y * ts, bins.tiles_x * ts, nf + 1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_img):
        means2d, conics, opacities, feats1 = ctx.saved_tensors
        bins: TileBins = ctx.bins
        ts, nf1 = bins.tile_size, feats1.shape[1]
        g_means, g_conics = torch.zeros_like(means2d), torch.zeros_like(conics)
        g_op, g_feats = torch.zeros_like(opacities), torch.zeros_like(feats1)
        g_tiles = grad_img.reshape(bins.tiles_y, ts, bins.tiles_x, ts, nf1).permute(0, 2, 1, 3, 4)
        g_tiles = g_tiles.reshape(bins.tiles_y * bins.tiles_x, ts * ts, nf1)  # [T, P, F + 1]
        for (tiles, G), kept in zip(bins.batches, ctx.saved, strict=True):
            if kept is None:
                geo = _geometry(bins, tiles, G, means2d, conics, opacities)
                alpha, t_incl, w = _composite_batch(geo, ts)
            else:
                geo, alpha, t_incl, w = kept
            B, flat = len(tiles), geo.ids.reshape(-1)
            gpix = g_tiles[tiles]  # [B, P, F + 1]
            g_feats.index_add_(0, flat, torch.bmm(gpix.transpose(1, 2), w).transpose(1, 2).reshape(-1, nf1))
            gc = torch.bmm(gpix, feats1[geo.ids].transpose(1, 2))  # [B, P, G] dL/dout . feature
            wg = w * gc
            # what the Gaussians behind contribute, summed back to front (total - cumsum cancels badly)
            later = torch.flip(torch.cumsum(torch.flip(wg, [-1]), -1), [-1]).sub_(wg)
            d_alpha = (t_incl * gc - later).div_(1.0 - alpha)  # dL/dalpha (0 where done)
            ds = d_alpha.mul_(F.threshold(-alpha, -0.999, 0.0))  # dL/dsigma; 0 where clamped or skipped
            ds = ds.view(B, ts, ts, G)  # [B, row, col, G]
            sx, sy = ds.sum(1), ds.sum(2)  # [B, ts, G] per column, per row
            sxy = (ds * geo.dx[:, None, :, :]).sum(2)  # [B, ts, G] per row: sum over columns of ds dx
            x1, y1 = (sx * geo.dx).sum(1), (sy * geo.dy).sum(1)  # [B, G]
            xx, yy = (sx * geo.dx * geo.dx).sum(1), (sy * geo.dy * geo.dy).sum(1)
            xy = (sxy * geo.dy).sum(1)
            a, b, c = geo.abc[:, 0].unbind(-1)  # [B, G]
            g_means.index_add_(0, flat, torch.stack([a * x1 + b * y1, c * y1 + b * x1], -1).reshape(-1, 2))
            g_conics.index_add_(0, flat, torch.stack([0.5 * xx, xy, 0.5 * yy], -1).reshape(-1, 3))
            g_op.index_add_(0, flat, (-sx.sum(1) / geo.op.clamp(min=1e-30) * geo.valid).reshape(-1))
        return g_means, g_conics, g_op, g_feats[:, :-1], None, None


def rasterize_tiles(
    means2d: torch.Tensor,  # [N, 2]
    conics: torch.Tensor,  # [N, 3]
    opacities: torch.Tensor,  # [N]
    feats: torch.Tensor,  # [N, F]
    depths: torch.Tensor,  # [N] sort key
    radii: torch.Tensor,  # [N, 2] int, 0 = culled
    width: int,
    height: int,
    tile_size: int = 8,
    batch_elems: int = 1 << 20,
    save_bytes: int = 1 << 29,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Composited features [H, W, F] and alpha [H, W, 1], as ``rasterize_dense`` but tile-binned."""
    bins = bin_tiles(means2d, radii, depths, width, height, tile_size, batch_elems)
    out = TileComposite.apply(means2d, conics, opacities, feats, bins, save_bytes)[:height, :width]
    return out[..., :-1], out[..., -1:]
