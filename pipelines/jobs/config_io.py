"""Sectioned YAML job configs: defaults file, then a user YAML, then overrides, merged key by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: nested mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def load_sections(
    default: Path, path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The merged mapping of sections: ``default`` YAML <- ``path`` YAML <- ``overrides``."""
    data = yaml.safe_load(Path(default).read_text()) or {}
    if path is not None:
        user = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(user, dict):
            raise ValueError(f"{path}: expected a mapping of config sections")
        data = merge(data, user)
    return merge(data, overrides or {})


def check_sections(data: dict[str, Any], known: set[str]) -> None:
    """Raise ValueError naming unknown sections."""
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown config section(s) {unknown}; known: {sorted(known)}")


def section(data: dict[str, Any], name: str, kind: type) -> Any:
    """``kind(**data[name])`` for a dataclass ``kind``; unknown keys raise ValueError naming them."""
    values = dict(data.get(name) or {})
    bad = sorted(set(values) - set(kind.__dataclass_fields__))
    if bad:
        raise ValueError(f"unknown key(s) {bad} in config section {name!r}")
    return kind(**values)
