"""manifests.safetensors_format: our writer's files load with the safetensors library, bytes are
deterministic, and the header parser checks what it returns."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors.numpy

from manifests.safetensors_format import DTYPES, safetensors_bytes, safetensors_header


def test_written_files_load_with_safetensors_and_parse_back() -> None:
    rng = np.random.default_rng(0)
    tensors = {"b": rng.standard_normal((3, 5)).astype(np.float16), "a": np.arange(7, dtype=np.int64)}
    data = safetensors_bytes(tensors, {"z": "1", "layout": "TCHW"})
    assert data == safetensors_bytes(dict(reversed(tensors.items())), {"layout": "TCHW", "z": "1"})
    loaded = safetensors.numpy.load(data)  # the reference implementation reads our bytes
    for k, v in tensors.items():
        np.testing.assert_array_equal(loaded[k], v)
    entries, meta = safetensors_header(data)
    assert meta == {"layout": "TCHW", "z": "1"}
    for k, (code, shape, at) in entries.items():
        got = np.frombuffer(data, DTYPES[code], int(np.prod(shape)), at).reshape(shape)
        np.testing.assert_array_equal(got, tensors[k])
    ref = safetensors.numpy.save({"x": np.ones((2, 2), np.float32)})  # and we parse the library's files
    ((code, shape, _),) = safetensors_header(ref)[0].values()
    assert code == "F32" and shape == [2, 2]


@pytest.mark.parametrize(
    "data",
    [b"\x01\x00", (100).to_bytes(8, "little") + b"{}", (2).to_bytes(8, "little") + b"[]",
     (8).to_bytes(8, "little") + b"not json",
     safetensors_bytes({"x": np.zeros(4, np.float32)}, {})[:-4]],  # data shorter than its offsets
)  # fmt: skip
def test_malformed_headers_raise_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        safetensors_header(data)


def test_bfloat16_bits_need_16_bit_integers() -> None:
    bits = np.array([0x3F80, 0x4000], np.uint16)  # 1.0, 2.0 as bfloat16
    entries, _ = safetensors_header(safetensors_bytes({"x": bits}, {}, {"x": "BF16"}))
    assert entries["x"][0] == "BF16"
    with pytest.raises(ValueError, match="cannot be stored"):
        safetensors_bytes({"x": np.zeros(2, np.float32)}, {}, {"x": "BF16"})
