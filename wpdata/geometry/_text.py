"""Reading numeric text tables (TUM, KITTI, EuRoC csv) with clear errors on malformed files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def read_matrix(
    path: str | os.PathLike, ncols: int | tuple[int, ...], delimiter: str | None = None
) -> np.ndarray:
    """Rows of floats [N, C] from a text file; '#' lines and blank lines are skipped.

    `ncols` is the required column count (or a tuple of accepted counts); `delimiter` None means
    whitespace, "," allows comma-separated (spaces around commas are tolerated).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"trajectory file not found: {path}")
    accepted = (ncols,) if isinstance(ncols, int) else tuple(ncols)
    rows: list[list[float]] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(delimiter) if delimiter else line.split()
            parts = [p.strip() for p in parts if p.strip()]
            if len(parts) not in accepted:
                raise ValueError(
                    f"{path}:{lineno}: expected {' or '.join(map(str, accepted))} columns, got {len(parts)}"
                )
            try:
                rows.append([float(p) for p in parts])
            except ValueError as e:
                raise ValueError(f"{path}:{lineno}: not a number ({e})") from None
    if not rows:
        raise ValueError(f"{path}: no data rows")
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise ValueError(f"{path}: rows have differing column counts {sorted(widths)}")
    return np.array(rows, dtype=np.float64)
