import numpy as np
import pytest
import safetensors.torch
import torch

from wpmodel.data.safetensors_view import load_safetensors


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "latent": torch.randn(4, 3, 5, 6, generator=g).half(),  # [C, T_lat, h, w]
        "bf": torch.randn(2, 7, generator=g).bfloat16(),
        "f32": torch.randn(384, generator=g),
        "i64": torch.arange(5),
        "u8": torch.arange(9, dtype=torch.uint8).reshape(3, 3),
        "flag": torch.tensor([True, False]),
    }


def test_equals_safetensors_and_views_a_writable_buffer() -> None:
    want = _tensors()
    buf = bytearray(safetensors.torch.save(want, metadata={"x": "y"}))
    got = load_safetensors(memoryview(buf))
    assert got.keys() == want.keys()
    for k, t in want.items():
        assert got[k].dtype == t.dtype and torch.equal(got[k], t), k
    base = np.frombuffer(buf, np.uint8)
    assert np.shares_memory(got["latent"].numpy(), base)  # no copy
    copies = load_safetensors(bytes(buf))  # read-only bytes: copies (torch cannot wrap them)
    assert torch.equal(copies["latent"], want["latent"]) and copies["latent"].numpy().flags.writeable


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\x05\x00", "too short"),
        ((100).to_bytes(8, "little") + b"{}", "runs past"),
        ((4).to_bytes(8, "little") + b"[1] ", "not a JSON object"),
        ((2).to_bytes(8, "little") + b"{x", "not JSON"),
    ],
)
def test_malformed_headers_raise(data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        load_safetensors(data)


def test_offsets_that_do_not_fit_raise() -> None:
    raw = bytearray(safetensors.torch.save({"a": torch.zeros(4)}))
    raw = raw[:-4]  # data cut short
    with pytest.raises(ValueError, match=r"tensor 'a': offsets \[0, 16\] do not fit \[4\] F32"):
        load_safetensors(raw)
    bad = safetensors.torch.save({"a": torch.zeros(4)}).replace(b'"F32"', b'"Q99"')
    with pytest.raises(ValueError, match="tensor 'a': bad header entry"):
        load_safetensors(bad)
