"""Exact z-buffered perspective renderer for textured-quad worlds (numpy + cv2, CPU).

Why our own: no rasteriser in the environment gives exact per-pixel depth for textured planes on a
CPU in a few milliseconds. Per visible quad, the map from pixel to the quad's (u, v) coordinates is
the homography ``inv(K [R U | R V | R p0 + t])``, whose third homogeneous coordinate is exactly the
inverse camera depth, so depth is exact at every pixel centre. Pixel convention as COLMAP, nerfstudio
and gsplat: pixel (row r, col c) covers [c, c + 1) x [r, r + 1), its centre is (c + 0.5, r + 0.5).
Textures are sampled with ``cv2.remap`` (bilinear, wrap-around tiling) from a mip level chosen per
pixel by the texel footprint, which keeps distant ground free of moire.
"""

from __future__ import annotations

import cv2
import numpy as np

from wpdata.synth.world import World

__all__ = ["render", "NEAR"]

NEAR = 0.05  # metres; geometry closer than this is clipped
_STEP = 4  # mip level chosen once per run of this many covered pixels


def _prepared(world: World) -> dict:
    """Stacked quad arrays and texture mip pyramids, cached on the world."""
    if "render" not in world.cache:
        c = np.stack([q.corners for q in world.quads])  # [Q, 4, 3]
        mips = []
        for tex in world.textures:
            levels = [np.ascontiguousarray(tex)]
            while min(levels[-1].shape[:2]) > 8:
                lv = levels[-1]
                levels.append(
                    cv2.resize(lv, (lv.shape[1] // 2, lv.shape[0] // 2), interpolation=cv2.INTER_AREA)
                )
            mips.append(levels)
        world.cache["render"] = {
            "corners": c,
            "p0": c[:, 0],
            "U": c[:, 1] - c[:, 0],
            "V": c[:, 3] - c[:, 0],
            "normal": np.stack([q.normal for q in world.quads]),
            "two_sided": np.array([q.two_sided for q in world.quads]),
            "tex": np.array([q.texture for q in world.quads]),
            "tiling": np.array([q.tiling for q in world.quads], np.float64),
            "shade": np.array([q.shade for q in world.quads], np.float32),
            "mips": mips,
        }
    return world.cache["render"]


def _clip_near(poly: np.ndarray, near: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a camera-space polygon [P, 3] to z >= near."""
    out = []
    for i in range(len(poly)):
        a, b = poly[i], poly[(i + 1) % len(poly)]
        ina, inb = a[2] >= near, b[2] >= near
        if ina:
            out.append(a)
        if ina != inb:
            s = (near - a[2]) / (b[2] - a[2])
            out.append(a + s * (b - a))
    return np.array(out).reshape(-1, 3)


def _candidates(P: dict, R: np.ndarray, t: np.ndarray, K: np.ndarray, width: int, height: int, near: float):
    """Quads in front of the camera, facing it and inside the view frustum, near to far."""
    cam = P["corners"] @ R.T + t  # [Q, 4, 3] camera coords
    centre = -R.T @ t
    facing = P["two_sided"] | (((centre - P["p0"]) * P["normal"]).sum(-1) > 0)
    X, Y, Z = cam[..., 0], cam[..., 1], cam[..., 2]
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    outside = (
        (Z < near).all(-1)
        | (fx * X + cx * Z < 0).all(-1)
        | ((width - cx) * Z - fx * X < 0).all(-1)
        | (fy * Y + cy * Z < 0).all(-1)
        | ((height - cy) * Z - fy * Y < 0).all(-1)
    )
    idx = np.nonzero(facing & ~outside)[0]
    order = np.argsort(np.maximum(Z[idx], near).min(-1))
    return idx[order], cam


def _screen_boxes(idx, cam, P, R, t, K, width: int, height: int, near: float):
    """Per candidate quad: its clipped screen box (x0, y0, x1, y1) [n, 4] and pixel->(u, v, 1)/z map [n, 3, 3]."""
    c = cam[idx]  # [n, 4, 3]
    fxy, cxy = np.array([K[0, 0], K[1, 1]]), np.array([K[0, 2], K[1, 2]])
    with np.errstate(divide="ignore", invalid="ignore"):
        pix = c[..., :2] / c[..., 2:3] * fxy + cxy  # [n, 4, 2]
    lo, hi = pix.min(1), pix.max(1)
    for k in np.nonzero((c[..., 2] < near).any(-1))[0]:  # crossing the near plane: clip first
        poly = _clip_near(c[k], near)
        if len(poly) < 3:
            lo[k], hi[k] = 0, -1
            continue
        pp = poly[:, :2] / poly[:, 2:3] * fxy + cxy
        lo[k], hi[k] = pp.min(0), pp.max(0)
    boxes = np.concatenate(
        [np.maximum(np.floor(lo), 0), np.minimum(np.ceil(hi), [width, height])], -1
    ).astype(int)
    A = np.stack([P["U"][idx] @ R.T, P["V"][idx] @ R.T, P["p0"][idx] @ R.T + t], -1)  # [n, 3, 3] columns
    KA = K @ A
    ok = np.abs(np.linalg.det(KA)) > 1e-12  # edge-on quads have no inverse
    boxes[~ok] = 0
    Ms = np.zeros_like(KA)
    Ms[ok] = np.linalg.inv(KA[ok])  # pixel -> (u, v, 1) / z
    return boxes, Ms


def _sky(rgb: np.ndarray, depth: np.ndarray, world: World, c2w: np.ndarray, K: np.ndarray) -> None:
    """Fill pixels with no geometry by a gradient on the ray elevation."""
    empty = np.isinf(depth)
    if not empty.any():
        return
    height, width = depth.shape
    xn = ((np.arange(width) + 0.5 - K[0, 2]) / K[0, 0]).astype(np.float32)  # [W] normalised coords
    yn = ((np.arange(height) + 0.5 - K[1, 2]) / K[1, 1]).astype(np.float32)  # [H]
    r = c2w[2, :3].astype(np.float32)  # world z of the camera axes: elevation numerator is r . (x, y, 1)
    num = (r[0] * xn + r[2])[None, :] + (r[1] * yn)[:, None]
    elev = num / np.sqrt((xn * xn)[None, :] + (yn * yn + 1.0)[:, None])  # [H, W] sin(elevation)
    lut = _sky_lut(world)
    level = np.clip(elev * 255.0, -1.0, 255.0).astype(np.int16) + 1  # 0: below the horizon
    rgb[empty] = lut[level[empty]]


def _sky_lut(world: World) -> np.ndarray:
    """Sky colour by quantised sin(elevation): index 0 below the horizon, 1..256 from 0 to 1."""  # [257, 3]
    if "sky_lut" not in world.cache:
        zen, hor = np.array(world.sky_zenith, np.float32), np.array(world.sky_horizon, np.float32)
        a = np.sqrt(np.linspace(0.0, 1.0, 256, dtype=np.float32))[:, None]
        lut = np.concatenate([hor[None] * 0.75, hor + a * (zen - hor)])
        world.cache["sky_lut"] = np.clip(lut, 0, 255).astype(np.uint8)
    return world.cache["sky_lut"]


def _sample(tex: np.ndarray, mx: np.ndarray, my: np.ndarray) -> np.ndarray:
    """Bilinear, wrapping texture lookup at N texel coordinates."""  # -> [N, 3] uint8
    n = len(mx)
    rows = -(-n // 1024)  # cv2.remap wants both map sides < 32767: lay the points out in rows of 1024
    maps = np.zeros((2, rows * 1024), np.float32)
    maps[0, :n], maps[1, :n] = mx, my
    out = cv2.remap(
        tex,
        maps[0].reshape(rows, 1024),
        maps[1].reshape(rows, 1024),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_WRAP,
    )
    return out.reshape(-1, 3)[:n]


def _coverage(M: np.ndarray, box, inv_depth: np.ndarray, scratch: list[np.ndarray], near: float):
    """Pixels of the box where the quad is hit in front of what is drawn: flat indices in the box and w = 1/z."""
    x0, y0, x1, y1 = box
    xs = np.arange(x0, x1, dtype=np.float64) + 0.5  # pixel centres
    ys = np.arange(y0, y1, dtype=np.float64) + 0.5
    shape, n = (y1 - y0, x1 - x0), (y1 - y0) * (x1 - x0)
    # scratch buffers are reused across quads: fresh large temporaries cost page faults
    w, uw, vw = (buf[:n].reshape(shape) for buf in scratch[:3])
    mask, tmp = (buf[:n].reshape(shape) for buf in scratch[3:])
    # homogeneous (u w, v w, w) with w = 1 / z; each is affine in the pixel: one broadcast add
    np.add((M[2, 0] * xs + M[2, 2])[None, :], (M[2, 1] * ys)[:, None], out=w)  # [h, w]
    np.add((M[0, 0] * xs + M[0, 2])[None, :], (M[0, 1] * ys)[:, None], out=uw)
    np.add((M[1, 0] * xs + M[1, 2])[None, :], (M[1, 1] * ys)[:, None], out=vw)
    np.greater(w, inv_depth[y0:y1, x0:x1], out=mask)  # nearer than what is drawn (and in front: w > 0)
    tests = (
        (w, np.less_equal, 1.0 / near),
        (uw, np.greater_equal, 0.0),
        (uw, np.less_equal, w),
        (vw, np.greater_equal, 0.0),
        (vw, np.less_equal, w),
    )
    for a, op, b in tests:
        op(a, b, out=tmp)
        mask &= tmp
    sel = np.flatnonzero(mask)
    return sel, w.ravel()[sel], uw.ravel()[sel], vw.ravel()[sel]


def _texture(levels: list[np.ndarray], tiling, M: np.ndarray, uu, vv, zz) -> np.ndarray:
    """Colours at quad coordinates (u, v), each from the mip level matching its texel footprint."""  # [N, 3]
    tu, tv = tiling
    W0, H0 = levels[0].shape[1], levels[0].shape[0]
    u, v = uu.astype(np.float32), vv.astype(np.float32)
    # squared texel footprint at level 0 from the Jacobian of the homography, on every STEP-th pixel
    # (consecutive pixels of a row; the footprint varies slowly, this saves most of the arithmetic)
    us, vs, zs = uu[::_STEP], vv[::_STEP], zz[::_STEP]
    a, b = (M[0, 0] - us * M[2, 0]) * (tu * W0), (M[1, 0] - vs * M[2, 0]) * (tv * H0)  # d(s, t)/dx / z
    c, d = (M[0, 1] - us * M[2, 1]) * (tu * W0), (M[1, 1] - vs * M[2, 1]) * (tv * H0)  # d(s, t)/dy / z
    fp = np.maximum(a * a + b * b, c * c + d * d) * (zs * zs)
    # level L when 2^(L - 1/2) <= footprint < 2^(L + 1/2), i.e. rounded log2
    lvl = np.searchsorted(2.0 * 4.0 ** np.arange(len(levels) - 1), fp, side="right")
    lvl = np.repeat(lvl, _STEP)[: len(u)]
    col = np.empty((len(u), 3), np.uint8)
    for L in range(lvl.min(), lvl.max() + 1):
        sel = np.flatnonzero(lvl == L) if lvl.min() < lvl.max() else slice(None)
        if isinstance(sel, np.ndarray) and len(sel) == 0:
            continue
        h, wd = levels[L].shape[:2]
        sx, sy = u[sel] * (tu * wd) - 0.5, v[sel] * (tv * h) - 0.5
        sx -= wd * np.floor(sx * (1.0 / wd))  # wrap into [0, wd): tiling
        sy -= h * np.floor(sy * (1.0 / h))
        col[sel] = _sample(levels[L], sx, sy)
    return col


def render(
    world: World, c2w: np.ndarray, K: np.ndarray, width: int, height: int, near: float = NEAR
) -> tuple[np.ndarray, np.ndarray]:
    """Render one view: (rgb [H, W, 3] uint8, depth [H, W] float32 camera z, inf where sky)."""
    c2w = np.asarray(c2w, np.float64)
    K = np.asarray(K, np.float64)
    if c2w.shape != (4, 4) or K.shape != (3, 3) or not np.isfinite(c2w).all():
        raise ValueError(f"render needs a finite c2w [4, 4] and K [3, 3], got {c2w.shape} and {K.shape}")
    if width <= 0 or height <= 0:
        raise ValueError(f"bad image size {width}x{height}")
    P = _prepared(world)
    R = c2w[:3, :3].T
    t = -R @ c2w[:3, 3]
    rgb = np.zeros((height, width, 3), np.uint8)
    inv_depth = np.zeros((height, width), np.float64)  # 1 / z, 0 where nothing drawn yet
    scratch = [np.empty(width * height, np.float64) for _ in range(3)]
    scratch += [np.empty(width * height, bool) for _ in range(2)]
    idx, cam = _candidates(P, R, t, K, width, height, near)
    boxes, Ms = _screen_boxes(idx, cam, P, R, t, K, width, height, near)
    for q, box, M in zip(idx, boxes, Ms, strict=True):
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            continue
        sel, ww, uw, vw = _coverage(M, box, inv_depth, scratch, near)
        if len(sel) == 0:
            continue
        zz = 1.0 / ww
        col = _texture(P["mips"][P["tex"][q]], P["tiling"][q], M, uw * zz, vw * zz, zz)
        rows, cols = np.divmod(sel, x1 - x0)
        rgb[y0 + rows, x0 + cols] = np.minimum(col * P["shade"][q], 255).astype(np.uint8)
        inv_depth[y0 + rows, x0 + cols] = ww
    with np.errstate(divide="ignore"):
        depth = (1.0 / inv_depth).astype(np.float32)  # inf where sky
    _sky(rgb, depth, world, c2w, K)
    return rgb, depth
