"""Resolve manifest-relative paths under a dataset root, refusing any that escape it.

Manifests store paths relative to their own folder (``<root>/manifests``). A path read from a manifest
is untrusted input: ``../../etc/passwd``, an absolute path elsewhere, or a symlink that points out of
the root would make a shard job read (and publish) files outside the dataset. ``resolve_in_root``
resolves the path fully (symlinks included) and accepts it only when it lies under one of the roots.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_in_root(
    path: str | os.PathLike,
    root: str | os.PathLike,
    base: str | os.PathLike | None = None,
    extra_roots: Sequence[str | os.PathLike] = (),
) -> Path:
    """The real path of ``path`` (relative to ``base``, default ``<root>/manifests``) inside ``root``.

    Raises ValueError naming the path and the root when the resolved path (after ``..`` and symlinks)
    lies outside ``root`` and every ``extra_roots`` entry, or when ``path`` is empty.
    """
    if path is None or not str(path).strip():
        raise ValueError(f"empty path in a manifest under dataset root {root}")
    if "\x00" in str(path):
        raise ValueError(f"path {str(path)!r} has a NUL byte (dataset root {root})")
    root_real = Path(root).resolve()
    base_dir = Path(base) if base is not None else Path(root) / "manifests"
    p = Path(path)
    full = (p if p.is_absolute() else base_dir / p).resolve()
    allowed = [root_real] + [Path(r).resolve() for r in extra_roots]
    if not any(_under(full, r) for r in allowed):
        roots = ", ".join(str(r) for r in allowed)
        raise ValueError(
            f"path {str(path)!r} escapes the dataset root {roots}: it resolves to {full} "
            "(paths in manifests must stay under the root; '..' out of it, absolute paths elsewhere "
            "and symlinks out of it are refused)"
        )
    return full


def relative_to_manifests(path: str | os.PathLike, out_dir: str | os.PathLike) -> str:
    """``path`` as a manifest in ``<out_dir>/manifests`` stores it (POSIX separators)."""
    rel = os.path.relpath(Path(path).resolve(), Path(out_dir).resolve() / "manifests")
    return Path(rel).as_posix()
