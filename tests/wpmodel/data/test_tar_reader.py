import gzip
import io
import tarfile
from pathlib import Path

import pytest
import webdataset as wds

from wpmodel.data.tar_reader import iter_samples, looks_like_tar

LONG = "k" * 120  # > 100 characters: a pax path (or GNU long name) header


def _tar(path: Path, members: list[tuple[str, bytes]], fmt: int = tarfile.PAX_FORMAT) -> Path:
    with tarfile.open(path, "w", format=fmt) as tar:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
        d = tarfile.TarInfo("somedir")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)
    return path


MEMBERS = [
    ("a.json", b'{"k": 1}'),
    ("a.K.npy", b"x" * 700),  # spans two blocks
    ("__meta__", b"skipped"),
    (f"{LONG}.json", b"{}"),
    (f"{LONG}.c2w.npy", b""),
    ("dir/b.mp4", b"\x00" * 513),
]


def _plain(samples: list[dict]) -> list[dict]:
    """Members as bytes; the file offsets of local samples checked against the file and left out."""
    out = []
    for s in samples:
        data = Path(s["__url__"]).read_bytes()
        for suffix, off in s.get("__offsets__", {}).items():
            assert data[off : off + len(s[suffix])] == bytes(s[suffix]), suffix
        out.append({k: (v if k.startswith("__") else bytes(v)) for k, v in s.items() if k != "__offsets__"})
    return out


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_same_samples_as_stock_webdataset(tmp_path: Path, fmt: int) -> None:
    members = MEMBERS if fmt != tarfile.USTAR_FORMAT else [m for m in MEMBERS if LONG not in m[0]]
    if fmt == tarfile.USTAR_FORMAT:  # a long path split into ustar prefix + name
        members.append((f"{'d' * 90}/{'e' * 30}/c.json", b"[]"))
    path = _tar(tmp_path / "s.tar", members, fmt)
    ours = list(iter_samples([str(path)]))
    stock = list(wds.WebDataset(str(path), shardshuffle=False, empty_check=False))
    assert all(isinstance(v, memoryview) for s in ours for k, v in s.items() if not k.startswith("__"))
    assert len(ours) == len(stock) and [s["__key__"] for s in ours] == [s["__key__"] for s in stock]
    assert _plain(ours)[0] == {"__key__": "a", "__url__": str(path), "json": b'{"k": 1}', "K.npy": b"x" * 700}
    for o, s in zip(_plain(ours), stock, strict=True):
        assert {k.lower(): v for k, v in o.items() if not k.startswith("__")} == {
            k: v for k, v in s.items() if not k.startswith("__")
        }


def test_skip_suffixes_and_the_project_writer(tmp_path: Path) -> None:
    shards = pytest.importorskip("wpdata.shards", reason="wpdata.shards (the writer) not importable")
    res = shards.write_shard(
        tmp_path / "w.tar", [("b", {"mp4": b"v" * 10, "json": b"{}"}), ("a", {"json": b"1"})]
    )
    got = _plain(iter_samples([res.path], skip=("mp4",)))
    assert got == [
        {"__key__": "a", "__url__": str(res.path), "json": b"1"},
        {"__key__": "b", "__url__": str(res.path), "json": b"{}"},
    ]


def test_cut_shard_raises_naming_file_and_member_or_goes_to_handler(tmp_path: Path) -> None:
    good = _tar(tmp_path / "good.tar", MEMBERS)
    cut = tmp_path / "cut.tar"
    cut.write_bytes(good.read_bytes()[: 512 * 3 + 100])  # a.json whole, a.K.npy cut
    with pytest.raises(tarfile.ReadError, match=r"cut.tar: member 'a.K.npy' at byte 1024 needs 700 bytes"):
        list(iter_samples([cut]))
    errors: list[Exception] = []
    got = list(
        iter_samples([cut, tmp_path / "missing.tar", good], handler=lambda e: errors.append(e) or True)
    )
    assert [s["__url__"] for s in got] == [str(good)] * 3  # the partial sample of cut.tar is dropped
    assert [type(e).__name__ for e in errors] == ["ReadError", "FileNotFoundError"]


def test_compressed_and_garbage_go_through_webdataset(tmp_path: Path) -> None:
    plain = _tar(tmp_path / "p.tar", MEMBERS)
    tgz = tmp_path / "p.tgz"
    tgz.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    assert not looks_like_tar(tgz.read_bytes()) and looks_like_tar(plain.read_bytes())
    got = list(iter_samples([tgz]))
    assert _plain(got) == [dict(s, __url__=str(tgz)) for s in _plain(iter_samples([plain]))]
    assert isinstance(got[0]["json"], bytes)
    garbage = tmp_path / "g.tar"
    garbage.write_bytes(b"not a tar" * 100)
    with pytest.raises(tarfile.ReadError):
        list(iter_samples([garbage]))


def test_views_are_writable_copy_on_write(tmp_path: Path) -> None:
    path = _tar(tmp_path / "s.tar", MEMBERS)
    before = path.read_bytes()
    view = next(iter_samples([path]))["K.npy"]
    view[:3] = b"abc"  # a private mapping: the file keeps its bytes
    assert bytes(view[:4]) == b"abcx" and path.read_bytes() == before
