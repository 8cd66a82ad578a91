"""The labelled defects set: every class present, labels parquet reads back, clips decode, overlays show."""

from __future__ import annotations

import json

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from wpdata.synth import DEFECT_CLASSES, LABELS_SCHEMA, make_defects_set

W, H, FPS, SECONDS = 160, 90, 10.0, 1.0


@pytest.fixture(scope="module")
def labels(tmp_path_factory):
    out = tmp_path_factory.mktemp("defects")
    return out, make_defects_set(out, 1, seed=3, width=W, height=H, fps=FPS, seconds=SECONDS)


def _decode(path):
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def test_every_class_and_labels_read_back(labels):
    out, path = labels
    table = pq.read_table(path)
    assert table.schema.equals(LABELS_SCHEMA)
    rows = table.to_pylist()
    assert sorted(r["label"] for r in rows) == sorted(DEFECT_CLASSES)
    for r in rows:
        frames = _decode(out / r["path"])
        assert frames.shape == (int(FPS * SECONDS), H, W, 3), r["path"]
        params = json.loads(r["params"])
        assert isinstance(params, dict)
        assert r["world_kind"] in ("street", "plaza", "room")
    by = {r["label"]: r for r in rows}
    assert 0.12 <= json.loads(by["watermark"]["params"])["opacity"] <= 0.40
    assert 0.05 <= json.loads(by["too_dark"]["params"])["gain"] <= 0.15
    assert 0 < json.loads(by["scene_cut"]["params"])["cut_frame"] < FPS * SECONDS
    assert by["static_camera"]["trajectory"] == "static"
    assert by["clean"]["trajectory"] != "static"


def test_defects_are_visible_in_the_pixels(labels):
    out, path = labels
    by = {r["label"]: _decode(out / r["path"]).astype(np.float32) for r in pq.read_table(path).to_pylist()}
    assert by["too_dark"].mean() < 0.35 * by["clean"].mean()
    sharp = lambda f: np.abs(np.diff(f.mean(-1), axis=2)).mean()  # noqa: E731
    assert sharp(by["blurred"]) < 0.6 * sharp(by["clean"])
    assert np.abs(np.diff(by["static_camera"], axis=0)).mean() < np.abs(np.diff(by["clean"], axis=0)).mean()


def test_same_seed_same_labels(tmp_path, labels):
    _, path = labels
    again = make_defects_set(
        tmp_path, 1, seed=3, width=W, height=H, fps=FPS, seconds=SECONDS, classes=("watermark", "scene_cut")
    )
    ref = {r["label"]: r for r in pq.read_table(path).to_pylist()}
    for r in pq.read_table(again).to_pylist():
        assert r == ref[r["label"]]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n_per_class"):
        make_defects_set(tmp_path, 0, seed=0)
    with pytest.raises(ValueError, match="unknown defect"):
        make_defects_set(tmp_path, 1, seed=0, classes=("smudge",))
