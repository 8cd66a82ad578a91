"""WorldMem's retrieval variant: greedy coverage pick with an age penalty, adapted to chunks.

Each round picks the candidate chunk with the highest
``overlap - age_weight * (current - h) / current``, where overlap is the fraction of the query
latents' in-view sample points not yet covered that the chunk's cameras (latents h and h + 2) see
(mean over query latents and the two cameras); the points the picked chunk sees are then removed,
so the next pick favours views of what is still uncovered. Same sample points and FOV test as
``manifests/fov.py``.
"""

from __future__ import annotations

import numpy as np

from manifests.fov import query_points, relative_poses, visible_masks


def worldmem_select(
    hist_c2w: np.ndarray,
    query_c2w: np.ndarray,
    starts: np.ndarray,
    k: int,
    points: np.ndarray,
    fov_deg: tuple[float, float] = (60.0, 35.0),
    max_dist: float = 8.0,
    age_weight: float = 0.2,
) -> list[int]:
    """Greedy pick of up to k chunk starts from ``starts`` [C]; hist_c2w [N, 4, 4], query_c2w [Q, 4, 4]."""
    starts = np.asarray(starts, dtype=np.int64)
    if len(starts) == 0 or k == 0:
        return []
    current = len(hist_c2w)
    cams = np.stack([starts, starts + 2], axis=1).reshape(-1)  # [2C]
    p_in = query_points(points, fov_deg)  # [P_in, 3]
    rel = relative_poses(query_c2w, hist_c2w[cams])  # [Q, 2C, 4, 4]
    seen = np.stack([visible_masks(r, p_in, fov_deg, max_dist) for r in rel])  # [Q, 2C, P_in]
    seen = seen.reshape(len(query_c2w), len(starts), 2, len(p_in))  # [Q, C, 2, P_in]
    remaining = np.ones((len(query_c2w), len(p_in)), dtype=bool)  # [Q, P_in]
    penalty = age_weight * (current - starts) / max(current, 1)  # [C]
    available = np.ones(len(starts), dtype=bool)
    picked: list[int] = []
    for _ in range(min(k, len(starts))):
        overlap = (seen & remaining[:, None, None, :]).sum(axis=-1) / len(p_in)  # [Q, C, 2]
        score = np.where(available, overlap.mean(axis=(0, 2)) - penalty, -np.inf)  # [C]
        best = int(np.argmax(score))  # first maximum: the older chunk on ties
        picked.append(int(starts[best]))
        available[best] = False
        remaining &= ~seen[:, best].any(axis=1)
    return picked
