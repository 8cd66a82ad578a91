"""Manifest paths may not escape the dataset root."""

from __future__ import annotations

import pytest

from wpdata.shards import relative_to_manifests, resolve_in_root


def test_paths_inside_the_root_resolve(tmp_path) -> None:
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"x")
    assert resolve_in_root("../clips/a.mp4", tmp_path) == (tmp_path / "clips" / "a.mp4").resolve()
    assert resolve_in_root(tmp_path / "clips" / "a.mp4", tmp_path) == (tmp_path / "clips" / "a.mp4").resolve()
    assert relative_to_manifests(tmp_path / "shards" / "x.tar", tmp_path) == "../shards/x.tar"


@pytest.mark.parametrize("path", ["../../outside.mp4", "../clips/../../outside.mp4", "/etc/passwd", ""])
def test_escaping_paths_are_refused_naming_path_and_root(tmp_path, path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(ValueError) as err:
        resolve_in_root(path, root)
    assert str(root) in str(err.value)
    if path:
        assert path in str(err.value) and "escapes the dataset root" in str(err.value)


def test_symlink_out_of_the_root_is_refused_unless_that_root_is_allowed(tmp_path) -> None:
    root, other = tmp_path / "root", tmp_path / "other"
    (root / "clips").mkdir(parents=True)
    other.mkdir()
    (other / "secret.mp4").write_bytes(b"x")
    (root / "clips" / "link.mp4").symlink_to(other / "secret.mp4")
    with pytest.raises(ValueError, match="escapes the dataset root"):
        resolve_in_root("../clips/link.mp4", root)
    assert resolve_in_root("../clips/link.mp4", root, extra_roots=[other]) == (other / "secret.mp4").resolve()
