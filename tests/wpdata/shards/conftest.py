"""Fixtures of the shard tests: one small annotated job folder per module (rendered once)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def load_annotated_root() -> ModuleType:
    """The ``annotated_root`` helper module beside this file (tests are not a package)."""
    path = Path(__file__).with_name("annotated_root.py")
    spec = importlib.util.spec_from_file_location("shard_tests_annotated_root", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def annotated_root(tmp_path_factory) -> dict:
    """``{"root": Path, "ids": [...], "mp4": {id: Path}, "c2w": {id: [T, 4, 4]}, ...}`` (33, 21, 9 frames)."""
    root = tmp_path_factory.mktemp("annotated")
    info = load_annotated_root().make_annotated_root(root)
    return {"root": root, **info}
