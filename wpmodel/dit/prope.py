"""PRoPE ("Cameras as Relative Positional Encoding", Li et al. 2025) as used by WorldPlay.

Per latent frame ``P = lift(K) @ w2c`` (4x4, K with normalised focal lengths). On the parallel attention
branch every 4-dim block of the head dim is transformed: ``q' = P_i^T q``, ``k' = P_j^-1 k``,
``v' = P_j^-1 v``, and the attention output goes back with ``o' = P_i o``. Scores are then
``q^T P_i P_j^-1 k``: they depend only on the relative projective transform of the two cameras, so
moving every camera by one rigid transform changes nothing. Written here because no library ships it
as a function on per-frame token groups (the paper's reference code assumes one fixed image grid).
"""

from __future__ import annotations

import torch


def normalize_intrinsics(K: torch.Tensor) -> torch.Tensor:
    """Pixel K [..., 3, 3] -> the release's normalised K: fx/(2cx), fy/(2cy), cx = cy = 0.5."""
    Kn = torch.zeros_like(K)
    Kn[..., 0, 0] = K[..., 0, 0] / (2 * K[..., 0, 2])
    Kn[..., 1, 1] = K[..., 1, 1] / (2 * K[..., 1, 2])
    Kn[..., 0, 2] = 0.5
    Kn[..., 1, 2] = 0.5
    Kn[..., 2, 2] = 1.0
    return Kn


def _lift(K: torch.Tensor) -> torch.Tensor:
    """[..., 3, 3] -> [..., 4, 4] block-diagonal [[K, 0], [0, 1]]."""
    out = torch.zeros(*K.shape[:-2], 4, 4, dtype=K.dtype, device=K.device)
    out[..., :3, :3] = K
    out[..., 3, 3] = 1.0
    return out


def _rigid_inverse(w2c: torch.Tensor) -> torch.Tensor:
    """Inverse of rigid transforms [..., 4, 4] (R^T, -R^T t): exact where a general inverse rounds."""
    R, t = w2c[..., :3, :3], w2c[..., :3, 3:]
    out = torch.zeros_like(w2c)
    out[..., :3, :3] = R.transpose(-1, -2)
    out[..., :3, 3:] = -R.transpose(-1, -2) @ t
    out[..., 3, 3] = 1.0
    return out


def projection_matrices(
    viewmats: torch.Tensor,  # [B, L, 4, 4] w2c (OpenCV), rigid
    Ks: torch.Tensor | None,  # [B, L, 3, 3] normalised intrinsics; None: identity (pure relative pose)
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor]:
    """P = lift(K) @ w2c and P^-1 = c2w @ lift(K^-1), computed in float64, returned in ``dtype``."""
    w2c = viewmats.to(torch.float64)
    if Ks is None:
        P, P_inv = w2c, _rigid_inverse(w2c)
    else:
        K = Ks.to(torch.float64)
        P = _lift(K) @ w2c
        P_inv = _rigid_inverse(w2c) @ _lift(torch.linalg.inv(K))
    return P.to(dtype), P_inv.to(dtype)


def apply_blockwise(x: torch.Tensor, M: torch.Tensor, tokens_per_frame: int) -> torch.Tensor:
    """Apply each frame's 4x4 M to every 4-dim block of its tokens' features.

    x [B, H, L * N, D] (tokens frame-major, N per frame), M [B, L, 4, 4] -> [B, H, L * N, D].
    """
    B, H, S, D = x.shape
    L = M.shape[1]
    if S != L * tokens_per_frame:
        raise ValueError(f"PRoPE: {S} tokens for {L} frames of {tokens_per_frame} tokens")
    xb = x.reshape(B, H, L, tokens_per_frame, D // 4, 4)
    out = torch.einsum("blij,bhlnkj->bhlnki", M, xb)
    return out.reshape(B, H, S, D)


def prope_qkv(
    q: torch.Tensor,  # [B, H, S, D] frame tokens only
    k: torch.Tensor,  # [B, H, S, D]
    v: torch.Tensor,  # [B, H, S, D]
    P: torch.Tensor,  # [B, L, 4, 4]
    P_inv: torch.Tensor,  # [B, L, 4, 4]
    tokens_per_frame: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q' = P^T q, k' = P^-1 k, v' = P^-1 v (per frame, on every 4-block of the head dim)."""
    Pt = P.transpose(-1, -2)
    return (
        apply_blockwise(q, Pt, tokens_per_frame),
        apply_blockwise(k, P_inv, tokens_per_frame),
        apply_blockwise(v, P_inv, tokens_per_frame),
    )


def prope_out(o: torch.Tensor, P: torch.Tensor, tokens_per_frame: int) -> torch.Tensor:
    """Attention output back to each query's frame: o' = P_i o."""
    return apply_blockwise(o, P, tokens_per_frame)


def prope_scores(
    q: torch.Tensor, k: torch.Tensor, P: torch.Tensor, P_inv: torch.Tensor, tokens_per_frame: int
) -> torch.Tensor:
    """Pre-softmax PRoPE attention scores [B, H, S, S] (unscaled), for inspection and tests."""
    qp, kp, _ = prope_qkv(q, k, k, P, P_inv, tokens_per_frame)
    return qp @ kp.transpose(-1, -2)
