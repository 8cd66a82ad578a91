"""The action npz: computed from poses, written atomically and deterministically, read back, checked."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from manifests.actions import keys_to_label
from wpdata.actions import (
    ActionThresholds,
    actions_from_poses,
    latent_actions,
    load_actions,
    parse_key_script,
    save_actions,
    trajectory_from_labels,
)


@pytest.fixture
def record():
    c2w = trajectory_from_labels(parse_key_script("W*3 D+right*2 none S+up*2"))[:-2]  # 31 frames
    return actions_from_poses(c2w, ActionThresholds(rotation_deg=0.1)), c2w


def test_round_trip(tmp_path, record):
    rec, c2w = record
    assert rec.frame_labels.shape == (31,) and rec.latent_labels.shape == (8,)
    path = rec.save(tmp_path / "clip.actions.npz")
    back = load_actions(path)
    assert back.frame_labels.dtype == np.int16 and back.latent_labels.dtype == np.int16
    np.testing.assert_array_equal(back.frame_labels, rec.frame_labels)
    np.testing.assert_array_equal(back.latent_labels, latent_actions(c2w, ActionThresholds(rotation_deg=0.1)))
    np.testing.assert_allclose(back.rel_latent, rec.rel_latent, atol=1e-6)
    np.testing.assert_array_equal(back.rel_latent[0], np.eye(4))
    np.testing.assert_allclose(c2w[0] @ back.rel_latent[1], c2w[4], atol=1e-6)
    assert back.thresholds == ActionThresholds(rotation_deg=0.1)
    assert back["latent_labels"] is back.latent_labels and back["thresholds"] == back.thresholds
    with pytest.raises(KeyError, match="c2w"):
        back["c2w"]
    with np.load(path, allow_pickle=False) as z:
        assert z["rel_latent"].dtype == np.float32


def test_same_input_same_bytes_and_no_temp_files(tmp_path, record):
    rec, _ = record
    a = save_actions(
        tmp_path / "a.npz", rec.frame_labels, rec.latent_labels, rec.rel_latent, {"translation": 0.01}
    )
    b = save_actions(
        tmp_path / "b.npz", rec.frame_labels, rec.latent_labels, rec.rel_latent, ActionThresholds()
    )
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]


def test_inconsistent_arrays_are_refused(tmp_path, record):
    rec, _ = record
    with pytest.raises(ValueError, match="expected 8"):
        save_actions(tmp_path / "x.npz", rec.frame_labels, rec.latent_labels[:-1], rec.rel_latent[:-1], {})
    with pytest.raises(ValueError, match="rel_latent"):
        save_actions(tmp_path / "x.npz", rec.frame_labels, rec.latent_labels, rec.rel_latent[:, :3], {})
    with pytest.raises(ValueError, match="outside"):
        save_actions(tmp_path / "x.npz", rec.frame_labels, rec.latent_labels + 80, rec.rel_latent, {})
    assert not (tmp_path / "x.npz").exists()


def test_malformed_files_name_the_file(tmp_path, record):
    rec, _ = record
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="garbage.npz"):
        load_actions(garbage)
    partial = tmp_path / "partial.npz"
    np.savez(partial, frame_labels=rec.frame_labels, latent_labels=rec.latent_labels)
    with pytest.raises(ValueError, match=r"partial.npz.*missing key\(s\) \['rel_latent', 'thresholds'\]"):
        load_actions(partial)
    wrong = tmp_path / "wrong.npz"
    np.savez(
        wrong,
        frame_labels=rec.frame_labels,
        latent_labels=rec.latent_labels[:3],
        rel_latent=rec.rel_latent[:3],
        thresholds=np.array("{}"),
    )
    with pytest.raises(ValueError, match="wrong.npz: 3 latent labels for 31 frames"):
        load_actions(wrong)
    bad_th = tmp_path / "bad_th.npz"
    np.savez(
        bad_th,
        frame_labels=rec.frame_labels,
        latent_labels=rec.latent_labels,
        rel_latent=rec.rel_latent,
        thresholds=np.array('{"speed": 1}'),
    )
    with pytest.raises(ValueError, match="bad_th.npz: bad thresholds"):
        load_actions(bad_th)
    assert zipfile.is_zipfile(rec.save(tmp_path / "ok.npz"))


def test_static_clip_has_only_none(tmp_path):
    rec = actions_from_poses(np.repeat(np.eye(4)[None], 9, axis=0))
    assert rec.latent_labels.tolist() == [0, 0, 0] and rec.frame_labels.tolist() == [0] * 9
    assert keys_to_label([]) == 0
