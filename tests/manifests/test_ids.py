import uuid

import pytest

from manifests.ids import PROJECT_NAMESPACE, clip_id, file_sha256, render_id, scene_id, shard_id, source_id


def test_ids_are_deterministic_uuid5_strings():
    s = source_id("s3://bucket/a.mp4")
    assert s == source_id("s3://bucket/a.mp4")
    assert uuid.UUID(s).version == 5
    assert s == str(uuid.uuid5(PROJECT_NAMESPACE, "source:s3://bucket/a.mp4"))
    assert clip_id(s, 0, 16) == str(uuid.uuid5(PROJECT_NAMESPACE, f"{s}:0:16"))
    assert clip_id(s, 0, 16) == clip_id(s, 0, 16)
    assert render_id("scene", "loop", 3) == render_id("scene", "loop", 3)


def test_ids_differ_when_inputs_differ():
    s = source_id("a.mp4")
    assert s != source_id("b.mp4")
    assert s != source_id("a.mp4", content_hash="abc")
    assert clip_id(s, 0, 16) != clip_id(s, 1, 16)
    assert render_id("scene", "loop", 3) != render_id("scene", "loop", 4)
    assert render_id("scene", "loop", 3) != render_id("scene", "spiral", 3)
    assert scene_id("dl3dv/x") != source_id("dl3dv/x")
    assert shard_id("train", 3) == "train-000003"


def test_ids_reject_bad_input():
    with pytest.raises(ValueError, match="uri"):
        source_id("")
    with pytest.raises(ValueError, match="start_frame"):
        clip_id("s", 5, 5)


def test_file_sha256(tmp_path):
    import hashlib

    p = tmp_path / "x.bin"
    data = bytes(range(256)) * 5000
    p.write_bytes(data)
    assert file_sha256(p) == hashlib.sha256(data).hexdigest()
    assert file_sha256(p, max_bytes=1000) == hashlib.sha256(data[:1000]).hexdigest()
    with pytest.raises(FileNotFoundError):
        file_sha256(tmp_path / "missing")
