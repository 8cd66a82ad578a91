"""Procedural, feature-rich textures for the synthetic world.

Every texture is drawn with numpy / cv2 from a seeded ``np.random.Generator`` so that feature
trackers and SfM find plenty of corners on the renders. All functions return ``[S, S, 3] uint8 RGB``.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "value_noise",
    "bricks",
    "tiles",
    "grass",
    "asphalt",
    "facade",
    "poster",
    "TEXTURE_MAKERS",
]


def value_noise(rng: np.random.Generator, size: int, octaves: int = 4, base: int = 4) -> np.ndarray:
    """Multi-octave value noise in [0, 1]."""  # [S, S] float32
    out = np.zeros((size, size), np.float32)
    amp, total = 1.0, 0.0
    cells = base
    for _ in range(octaves):
        grid = rng.random((cells, cells), dtype=np.float32)
        out += amp * cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= 0.5
        cells *= 2
    return np.clip(out / total, 0.0, 1.0)


def _tint(gray: np.ndarray, color: np.ndarray, spread: float = 0.5) -> np.ndarray:
    """Modulate an RGB colour by a [S, S] field in [0, 1]."""  # -> [S, S, 3] float32
    return color[None, None, :].astype(np.float32) * (1.0 - spread + spread * 2.0 * gray[..., None])


def _speckle(rng: np.random.Generator, img: np.ndarray, count: int, max_r: int = 3) -> np.ndarray:
    """Sprinkle small dark/light dots (corner-rich detail for feature trackers)."""
    size = img.shape[0]
    for _ in range(count):
        c = (int(rng.integers(0, size)), int(rng.integers(0, size)))
        r = int(rng.integers(1, max_r + 1))
        shade = float(rng.choice([0.45, 1.6]))
        col = np.clip(img[c[1], c[0]].astype(np.float32) * shade, 0, 255)
        cv2.circle(img, c, r, tuple(int(x) for x in col), -1, lineType=cv2.LINE_AA)
    return img


def _finish(img: np.ndarray) -> np.ndarray:
    return np.clip(img, 0, 255).astype(np.uint8)


def bricks(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Running-bond bricks with per-brick colour variation and mortar lines."""
    base = rng.uniform([120, 40, 30], [190, 90, 70]).astype(np.float32)
    img = _tint(value_noise(rng, size, base=8), base, 0.25)
    rows = int(rng.integers(8, 14))
    bh = size / rows
    mortar = np.array([200, 195, 185], np.float32) * rng.uniform(0.7, 1.0)
    for r in range(rows):
        y0, y1 = int(round(r * bh)), int(round((r + 1) * bh))
        cols = int(rng.integers(3, 6))
        bw = size / cols
        off = (bw / 2) * (r % 2)
        for c in range(-1, cols + 1):
            x0, x1 = int(round(c * bw + off)), int(round((c + 1) * bw + off))
            img[y0:y1, max(x0, 0) : max(min(x1, size), 0)] *= rng.uniform(0.75, 1.25)
            if 0 <= x0 < size:
                img[y0:y1, x0 : x0 + 2] = mortar
        img[y0 : y0 + 2, :] = mortar
    return _finish(_speckle(rng, _finish(img), size // 4))


def tiles(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Square floor tiles with random tints, grout and a few patterned tiles."""
    n = int(rng.integers(4, 9))
    ts = size / n
    palette = rng.uniform(60, 230, (3, 3)).astype(np.float32)
    img = np.empty((size, size, 3), np.float32)
    noise = value_noise(rng, size, base=16)
    for i in range(n):
        for j in range(n):
            y0, y1, x0, x1 = (int(round(k * ts)) for k in (i, i + 1, j, j + 1))
            col = palette[rng.integers(0, 3)] * rng.uniform(0.85, 1.15)
            img[y0:y1, x0:x1] = col
            if rng.random() < 0.25:
                cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
                cv2.circle(img, (cx, cy), int(ts / 3), tuple(float(v) for v in palette[0] * 0.6), 2)
    img *= (0.85 + 0.3 * noise)[..., None]
    grout = np.array([90, 90, 90], np.float32)
    for k in range(n + 1):
        p = min(int(round(k * ts)), size - 2)
        img[p : p + 2, :] = grout
        img[:, p : p + 2] = grout
    return _finish(_speckle(rng, _finish(img), size // 6))


def grass(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Grass / ground noise: green-brown value noise with blades and pebbles."""
    base = rng.uniform([50, 100, 30], [110, 160, 70]).astype(np.float32)
    img = _tint(value_noise(rng, size, octaves=5, base=4), base, 0.45)
    for _ in range(size * 2):
        x, y = int(rng.integers(0, size)), int(rng.integers(0, size))
        dx, dy = int(rng.integers(-3, 4)), int(rng.integers(-8, -2))
        col = tuple(float(c) for c in base * rng.uniform(0.5, 1.4))
        cv2.line(img, (x, y), (x + dx, y + dy), col, 1)
    return _finish(_speckle(rng, _finish(img), size // 3, max_r=2))


def asphalt(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Dark asphalt with grain, cracks, a dashed lane marking and a patch."""
    g = rng.uniform(55, 85)
    img = _tint(value_noise(rng, size, octaves=5, base=8), np.array([g, g, g * 1.03]), 0.3)
    grain = rng.normal(0.0, 10.0, (size, size, 1)).astype(np.float32)
    img += grain
    for _ in range(6):
        pts = np.cumsum(rng.integers(-12, 13, (6, 2)), axis=0) + rng.integers(0, size, (1, 2))
        cv2.polylines(img, [pts.astype(np.int32)], False, (g * 0.5,) * 3, 1, cv2.LINE_AA)
    x = int(size * rng.uniform(0.4, 0.6))
    dash = size // 4
    for y in range(0, size, dash * 2):
        cv2.rectangle(img, (x - 5, y), (x + 5, y + dash), (225, 225, 215), -1)
    if rng.random() < 0.7:
        cv2.rectangle(img, (8, size - 40), (60, size - 10), (g * 0.8,) * 3, -1)
    return _finish(_speckle(rng, _finish(img), size // 4, max_r=2))


def facade(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Building facade: noisy wall with a grid of framed windows (some lit, some with blinds)."""
    wall = rng.uniform([110, 100, 90], [220, 210, 190]).astype(np.float32)
    img = _tint(value_noise(rng, size, base=6), wall, 0.2)
    nx, ny = int(rng.integers(2, 5)), int(rng.integers(2, 4))
    cw, ch = size / nx, size / ny
    frame = tuple(float(c) for c in rng.uniform(30, 240, 3))
    for i in range(ny):
        for j in range(nx):
            x0, y0 = int(j * cw + cw * 0.2), int(i * ch + ch * 0.2)
            x1, y1 = int((j + 1) * cw - cw * 0.2), int((i + 1) * ch - ch * 0.15)
            glass = (
                rng.uniform([20, 40, 60], [80, 110, 150]) if rng.random() < 0.7 else rng.uniform(180, 250, 3)
            )
            cv2.rectangle(img, (x0, y0), (x1, y1), tuple(float(c) for c in glass), -1)
            if rng.random() < 0.4:
                for yy in range(y0, y0 + int((y1 - y0) * rng.uniform(0.2, 0.8)), 4):
                    cv2.line(img, (x0, yy), (x1, yy), (200, 200, 190), 1)
            cv2.rectangle(img, (x0, y0), (x1, y1), frame, 3)
            cv2.line(img, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), frame, 2)
    return _finish(_speckle(rng, _finish(img), size // 5))


def poster(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Poster / crate art: random rectangles, circles, lines and text on a coloured background."""
    img = np.empty((size, size, 3), np.float32)
    img[:] = rng.uniform(40, 230, 3)
    img *= (0.8 + 0.4 * value_noise(rng, size, base=4))[..., None]
    img = _finish(img)  # cv2.putText draws on uint8 only
    for _ in range(int(rng.integers(10, 20))):
        col = tuple(float(c) for c in rng.uniform(0, 255, 3))
        kind = int(rng.integers(0, 4))
        p = rng.integers(0, size, 4)
        if kind == 0:
            cv2.rectangle(img, (int(p[0]), int(p[1])), (int(p[2]), int(p[3])), col, -1)
        elif kind == 1:
            cv2.circle(img, (int(p[0]), int(p[1])), int(rng.integers(5, size // 5)), col, -1, cv2.LINE_AA)
        elif kind == 2:
            cv2.line(img, (int(p[0]), int(p[1])), (int(p[2]), int(p[3])), col, int(rng.integers(2, 7)))
        else:
            text = "".join(rng.choice(list("ABCDEFGHKMNPRSTWXYZ0123456789"), int(rng.integers(2, 6))))
            scale = float(rng.uniform(0.6, 1.8))
            cv2.putText(img, text, (int(p[0]) // 2, int(p[1])), cv2.FONT_HERSHEY_SIMPLEX, scale, col, 2)
    cv2.rectangle(img, (0, 0), (size - 1, size - 1), (20, 20, 20), 4)
    return _speckle(rng, img, size // 6)


TEXTURE_MAKERS = {
    "bricks": bricks,
    "tiles": tiles,
    "grass": grass,
    "asphalt": asphalt,
    "facade": facade,
    "poster": poster,
}
