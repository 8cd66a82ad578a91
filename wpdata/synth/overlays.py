"""Screen-space defects drawn on rendered frames with cv2: watermark, HUD, subtitles, darkness, blur.

Each function takes frames ``[T, H, W, 3] uint8 RGB`` and a seeded generator, and returns the
modified frames plus a JSON-able dict of the parameters it drew (the label's provenance).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["watermark", "hud", "subtitles", "darken", "blur", "FONTS"]

FONTS = [
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC,
]
_WORDS = [
    "STOCK",
    "CAM",
    "FOOTAGE",
    "WORLD",
    "TV",
    "NEWS",
    "LIVE",
    "GO",
    "PRO",
    "CITY",
    "WALK",
    "HD",
    "4K",
    "VLOG",
    "TRAVEL",
    "DRONE",
    "SAMPLE",
    "PREVIEW",
    "CLIP",
    "MEDIA",
]


def _words(rng: np.random.Generator, lo: int, hi: int) -> str:
    return " ".join(rng.choice(_WORDS, int(rng.integers(lo, hi + 1))))


def _blend(frames: np.ndarray, layer: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """frames * (1 - alpha) + layer * alpha."""  # frames [T, H, W, 3], layer [H, W, 3], alpha [H, W]
    a = alpha[..., None].astype(np.float32)
    out = frames.astype(np.float32) * (1.0 - a) + layer.astype(np.float32) * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def watermark(frames: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A static semi-transparent (12-40 %) logo and/or text in a corner or the centre."""
    T, H, W = frames.shape[:3]
    opacity = float(rng.uniform(0.12, 0.40))
    text = _words(rng, 1, 2)
    font = int(rng.choice(FONTS))
    scale = float(rng.uniform(0.4, 1.0)) * W / 320
    thick = int(rng.integers(1, 3))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    logo = int(rng.integers(0, 3))  # 0 none, 1 circle, 2 square
    r = int(th * 1.2)
    bw, bh = tw + (2 * r + 6 if logo else 0), max(th, 2 * r if logo else th) + 4
    where = str(rng.choice(["top_left", "top_right", "bottom_left", "bottom_right", "center"]))
    m = int(0.04 * W)
    x = {"top_left": m, "bottom_left": m, "top_right": W - bw - m, "bottom_right": W - bw - m}.get(
        where, (W - bw) // 2
    )
    y = {"top_left": m, "top_right": m, "bottom_left": H - bh - m, "bottom_right": H - bh - m}.get(
        where, (H - bh) // 2
    )
    mask = np.zeros((H, W), np.uint8)
    if logo == 1:
        cv2.circle(mask, (x + r, y + bh // 2), r, 255, 2, cv2.LINE_AA)
    elif logo == 2:
        cv2.rectangle(mask, (x, y + bh // 2 - r), (x + 2 * r, y + bh // 2 + r), 255, 2)
    cv2.putText(
        mask,
        text,
        (x + (2 * r + 6 if logo else 0), y + bh // 2 + th // 2),
        font,
        scale,
        255,
        thick,
        cv2.LINE_AA,
    )
    colour = rng.uniform(200, 255, 3) if rng.random() < 0.8 else rng.uniform(0, 255, 3)
    layer = np.broadcast_to(colour.astype(np.float32), (H, W, 3))
    out = _blend(frames, layer, mask.astype(np.float32) / 255.0 * opacity)
    box = [int(x), int(y), int(bw), int(bh)]
    return out, {"opacity": opacity, "text": text, "position": where, "box": box, "logo": logo, "font": font}


def hud(frames: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Game-like UI at fixed screen positions: bars, a minimap, a health bar, a score counter."""
    T, H, W = frames.shape[:3]
    alpha = float(rng.uniform(0.6, 1.0))
    parts = [p for p in ("top_bar", "bottom_bar", "minimap", "health", "score") if rng.random() < 0.6] or [
        "minimap"
    ]
    out = frames.copy()
    s = W / 320
    for t in range(T):
        layer = out[t].copy()
        if "top_bar" in parts:
            cv2.rectangle(layer, (0, 0), (W, int(14 * s)), (20, 20, 30), -1)
            cv2.putText(
                layer, "MISSION 3  OBJ: FIND", (4, int(10 * s)), FONTS[0], 0.3 * s, (230, 230, 230), 1
            )
        if "bottom_bar" in parts:
            cv2.rectangle(layer, (0, H - int(18 * s)), (W, H), (30, 30, 40), -1)
            for k in range(5):
                x0 = int(W / 2 + (k - 2.5) * 18 * s)
                cv2.rectangle(layer, (x0, H - int(16 * s)), (x0 + int(14 * s), H - 2), (90, 90, 110), 1)
        if "minimap" in parts:
            c, r = (W - int(30 * s), int(30 * s)), int(24 * s)
            cv2.circle(layer, c, r, (40, 60, 40), -1)
            cv2.circle(layer, c, r, (220, 220, 220), 1)
            ang = 2 * np.pi * t / max(T, 1)
            cv2.circle(
                layer,
                (c[0] + int(r * 0.5 * np.cos(ang)), c[1] + int(r * 0.5 * np.sin(ang))),
                2,
                (255, 60, 60),
                -1,
            )
        if "health" in parts:
            frac = 0.3 + 0.6 * (1 - t / max(T, 1))
            cv2.rectangle(layer, (int(8 * s), int(20 * s)), (int(88 * s), int(28 * s)), (40, 40, 40), -1)
            cv2.rectangle(
                layer, (int(8 * s), int(20 * s)), (int((8 + 80 * frac) * s), int(28 * s)), (50, 200, 60), -1
            )
        if "score" in parts:
            cv2.putText(
                layer,
                f"{1000 + 7 * t:05d}",
                (int(8 * s), H - int(24 * s)),
                FONTS[1],
                0.45 * s,
                (255, 230, 90),
                1,
            )
        out[t] = np.clip(alpha * layer.astype(np.float32) + (1 - alpha) * frames[t], 0, 255).astype(np.uint8)
    return out, {"opacity": alpha, "parts": parts}


def subtitles(frames: np.ndarray, rng: np.random.Generator, fps: float) -> tuple[np.ndarray, dict]:
    """Burned-in subtitle lines at the bottom, changing every 1-2 s, with occasional gaps."""
    T, H, W = frames.shape[:3]
    font = int(rng.choice(FONTS[:5]))
    scale = float(rng.uniform(0.35, 0.6)) * W / 320
    colour = (255, 255, 255) if rng.random() < 0.7 else (255, 240, 80)
    out, cues, t = frames.copy(), [], 0
    while t < T:
        dur = int(rng.uniform(1.0, 2.0) * fps)
        text = None if (cues and rng.random() < 0.2) else _words(rng, 2, 5).lower().capitalize()
        lines = (
            [text]
            if text and (len(text) < 22 or rng.random() < 0.5)
            else ([text[: len(text) // 2], text[len(text) // 2 :]] if text else [])
        )
        for t2 in range(t, min(t + dur, T)):
            for k, line in enumerate(lines):
                (tw, th), _ = cv2.getTextSize(line, font, scale, 1)
                y = H - int(0.06 * H) - (len(lines) - 1 - k) * int(th * 1.6)
                org = ((W - tw) // 2, y)
                cv2.putText(out[t2], line, org, font, scale, (0, 0, 0), 3, cv2.LINE_AA)
                cv2.putText(out[t2], line, org, font, scale, colour, 1, cv2.LINE_AA)
        cues.append({"start": t, "end": min(t + dur, T), "text": " / ".join(lines) if lines else None})
        t += dur
    return out, {"font": font, "scale": scale, "cues": cues}


def darken(frames: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Underexposure: gain 0.05-0.15 plus sensor noise."""
    gain = float(rng.uniform(0.05, 0.15))
    sigma = float(rng.uniform(1.0, 4.0))
    noisy = frames.astype(np.float32) * gain + rng.normal(0, sigma, frames.shape).astype(np.float32)
    return np.clip(noisy + 0.5, 0, 255).astype(np.uint8), {"gain": gain, "noise_sigma": sigma}


def blur(frames: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Strong Gaussian or defocus (disk) blur, sigma / radius >= 3 px at 320 px width."""
    s = frames.shape[2] / 320
    kind = str(rng.choice(["gaussian", "defocus"]))
    size = float(rng.uniform(3.0, 6.0)) * s
    if kind == "gaussian":
        out = np.stack([cv2.GaussianBlur(f, (0, 0), size) for f in frames])
    else:
        r = int(round(size * 1.5))
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)).astype(np.float32)
        out = np.stack([cv2.filter2D(f, -1, disk / disk.sum()) for f in frames])
    return out, {"kind": kind, "sigma_px": size}
