import io
import json
import struct

import numpy as np
import pytest

from manifests.layout import (
    JSON_REQUIRED_KEYS,
    MEMBERS,
    REQUIRED_SUFFIXES,
    num_latents,
    safe_key,
    sample_members,
    validate_sample,
)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _good(T: int = 17) -> dict[str, bytes]:
    c2w = np.tile(np.eye(4, dtype=np.float32), (T, 1, 1))  # [T, 4, 4]
    K = np.array([[50, 0, 32], [0, 50, 24], [0, 0, 1]], dtype=np.float32)
    meta = {k: None for k in JSON_REQUIRED_KEYS} | {"num_frames": T, "caption": "a street", "fps": 30.0}
    return {
        "__key__": b"abc",
        "mp4": b"\x00\x00\x00\x18ftypisom" + b"\x00" * 20,
        "c2w.npy": _npy(c2w),
        "K.npy": _npy(K),
        "action.npy": _npy(np.array([0, 50, 80, 1, 2], dtype=np.int16)),
        "json": json.dumps(meta).encode(),
    }


def test_layout_tables():
    assert REQUIRED_SUFFIXES == ("mp4", "c2w.npy", "K.npy", "action.npy", "json")
    assert not MEMBERS["latent.safetensors"].required
    assert MEMBERS["c2w.npy"].dtype == "float32" and MEMBERS["action.npy"].dtype == "int16"
    assert sample_members("k1") == {s: f"k1.{s}" for s in REQUIRED_SUFFIXES}
    assert "latent.safetensors" in sample_members("k1", with_latent=True)
    assert [num_latents(t) for t in (1, 4, 5, 17, 61)] == [1, 1, 2, 5, 16]


def test_good_sample():
    assert validate_sample(_good()) == []
    header = json.dumps({"latent": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    s = _good() | {"latent.safetensors": struct.pack("<Q", len(header)) + header + b"\x00" * 4}
    assert validate_sample(s) == []
    K_per_frame = np.tile(np.eye(3, dtype=np.float32), (17, 1, 1))
    assert validate_sample(_good() | {"K.npy": _npy(K_per_frame)}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"c2w.npy": None}, "missing member .c2w.npy"),
        ({"mp4": b"garbage bytes here"}, "mp4: not an MP4"),
        ({"c2w.npy": _npy(np.zeros((17, 4, 4)))}, "c2w.npy: expected float32 [T, 4, 4], got float64"),
        ({"c2w.npy": _npy(np.zeros((17, 3, 4), np.float32))}, "c2w.npy: expected float32"),
        ({"c2w.npy": b"not npy"}, "c2w.npy: not a valid .npy"),
        ({"K.npy": _npy(np.eye(4, dtype=np.float32))}, "K.npy: expected float32 [3, 3] or [T, 3, 3]"),
        ({"K.npy": _npy(np.zeros((3, 3, 3), np.float32))}, "K.npy: 3 intrinsics for 17 poses"),
        ({"action.npy": _npy(np.zeros(5, np.int64))}, "action.npy: expected int16"),
        ({"action.npy": _npy(np.array([0, 81, 0, 0, 0], np.int16))}, "labels outside [0, 81)"),
        ({"action.npy": _npy(np.zeros(4, np.int16))}, "4 labels for 17 frames; expected 5"),
        ({"json": b"{not json"}, "json: not valid JSON"),
        ({"json": json.dumps({"caption": "x"}).encode()}, "json: missing key(s)"),
        ({"latent.safetensors": b"\x01"}, "latent.safetensors: too short"),
        ({"txt": b"x"}, "unknown member suffix(es): ['txt']"),
    ],
)
def test_bad_samples(change, expected):
    sample = _good()
    for k, v in change.items():
        if v is None:
            del sample[k]
        else:
            sample[k] = v
    problems = validate_sample(sample)
    assert any(expected in p for p in problems), problems


def test_safe_key():
    assert safe_key("abc-DEF_1") == "abc-DEF_1"
    assert safe_key("yt/abc.def 12:30") == "yt_abc_def_12_30"
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(safe_key(long_a)) == 120 and safe_key(long_a) != safe_key(long_b)
    assert safe_key(long_a) == safe_key(long_a)
    with pytest.raises(ValueError):
        safe_key("  ")
    with pytest.raises(ValueError, match="not safe"):
        sample_members("a.b")
