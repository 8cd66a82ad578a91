"""A sample's members: whole-clip copy, frame-exact windows, sliced poses and actions, validated json."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from manifests.layout import MEMBERS, validate_sample
from wpdata.shards import EncodeSettings, build_sample, load_item_arrays, sample_meta
from wpdata.video import decode_frames, probe
from wpdata.video.pattern import pattern_index


def _item(annotated_root: dict, i: int) -> tuple[dict, object]:
    root = annotated_root["root"]
    row = {**annotated_root["clips_rows"][i], **annotated_root["annotation_rows"][i]}
    arrays = load_item_arrays(root / "manifests" / row["pose_path"], root / "manifests" / row["actions_path"])
    return row, arrays


def _npy(b: bytes) -> np.ndarray:
    return np.load(io.BytesIO(b), allow_pickle=False)


def test_whole_clip_is_copied_as_is_with_its_arrays(annotated_root) -> None:
    row, arrays = _item(annotated_root, 1)  # 21 frames
    mp4 = annotated_root["mp4"][row["item_id"]]
    meta = sample_meta(row, "k", 0, 21, windowed=False)
    members = build_sample(mp4, arrays, meta)
    assert list(members) == [s for s in MEMBERS if s not in ("latent.safetensors", "caption.npy")]
    assert members["mp4"] == mp4.read_bytes()
    np.testing.assert_array_equal(_npy(members["c2w.npy"]), annotated_root["c2w"][row["item_id"]])
    assert _npy(members["K.npy"]).shape == (21, 3, 3)
    np.testing.assert_array_equal(_npy(members["action.npy"]), (7 * np.arange(6) + 1) % 81)
    meta = json.loads(members["json"])
    assert meta["num_frames"] == 21 and meta["num_latents"] == 6
    assert meta["source"]["clip_id"] == row["item_id"] and meta["source"]["kind"] == "clip"
    assert meta["scores"] == {"score_motion": 1.0, "score_shake": 0.1}
    assert meta["provenance"]["pose_source"] == "sekai" and meta["caption"].startswith("walking")
    assert validate_sample(members) == []


def test_window_is_frame_exact_and_arrays_are_sliced(annotated_root, tmp_path) -> None:
    row, arrays = _item(annotated_root, 0)  # 33 frames
    mp4 = annotated_root["mp4"][row["item_id"]]
    meta = sample_meta(row, "k_w000012", 12, 9, windowed=True)
    members = build_sample(mp4, arrays, meta, window=(12, 9), latent=b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    assert "latent.safetensors" in members and validate_sample(members) == []
    (tmp_path / "w.mp4").write_bytes(members["mp4"])
    window = decode_frames(tmp_path / "w.mp4")  # [9, H, W, 3]
    clip = decode_frames(mp4, 12, 21)
    assert [pattern_index(f) for f in window] == list(range(12, 21))
    assert np.abs(window.astype(int) - clip.astype(int)).mean() < 2.0
    assert probe(tmp_path / "w.mp4").num_frames == 9
    np.testing.assert_array_equal(_npy(members["c2w.npy"]), annotated_root["c2w"][row["item_id"]][12:21])
    # latent j of the window is clip latent 3 + j (latent 0 keeps the clip's label)
    np.testing.assert_array_equal(_npy(members["action.npy"]), (7 * np.arange(3, 6)) % 81)
    assert json.loads(members["json"])["provenance"]["window_start"] == 12


def test_window_bytes_are_deterministic(annotated_root) -> None:
    row, arrays = _item(annotated_root, 0)
    mp4 = annotated_root["mp4"][row["item_id"]]
    meta = sample_meta(row, "k", 24, 9, windowed=True)
    a = build_sample(mp4, arrays, meta, window=(24, 9), encode=EncodeSettings(crf=23))
    b = build_sample(mp4, arrays, meta, window=(24, 9), encode=EncodeSettings(crf=23))
    assert a == b


def test_missing_or_inconsistent_annotation_files_raise_naming_the_file(annotated_root, tmp_path) -> None:
    row, arrays = _item(annotated_root, 0)
    root = annotated_root["root"]
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_item_arrays(tmp_path / "nope.npz", root / "manifests" / row["actions_path"])
    bad = tmp_path / "bad.npz"
    np.savez(bad, c2w=np.zeros((5, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"bad\.npz.*missing key\(s\) \['K'\]"):
        load_item_arrays(bad, root / "manifests" / row["actions_path"])
    other = annotated_root["annotation_rows"][1]  # 21-frame poses with 33-frame... actions of item 0
    with pytest.raises(ValueError, match="actions and poses disagree"):
        load_item_arrays(root / "manifests" / other["pose_path"], root / "manifests" / row["actions_path"])
    short_mp4 = annotated_root["mp4"][annotated_root["ids"][2]]  # 9 frames vs 33 poses
    with pytest.raises(ValueError, match="9 video frames but 33 annotated poses"):
        build_sample(short_mp4, arrays, sample_meta(row, "k", 0, 33))
