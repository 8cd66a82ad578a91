"""HY-WorldPlay pose / action JSON and dataset list: written, read back with json, decoded as the release does."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from manifests.actions import NUM_ACTIONS, hy_to_label, keys_to_label
from wpdata.actions import frame_actions, latent_actions, trajectory_from_labels
from wpdata.export import (
    hy_action_entry,
    read_hy_worldplay,
    write_hy_dataset_list,
    write_hy_worldplay,
)
from wpdata.synth.cameras import intrinsics, pose_from_yaw_pitch

MOVE_ONE_HOT = {
    (0, 0, 0, 0): 0,
    (1, 0, 0, 0): 1,
    (0, 1, 0, 0): 2,
    (0, 0, 1, 0): 3,
    (0, 0, 0, 1): 4,
    (1, 0, 1, 0): 5,
    (1, 0, 0, 1): 6,
    (0, 1, 1, 0): 7,
    (0, 1, 0, 1): 8,
}  # (W, S, D, A) -> trans


def _release_reads(action_json: dict) -> list[int]:
    """Latent labels as the release trainer reads an action JSON (substring move, exact view)."""
    keys, out = list(action_json), [0]
    for i in range(1, (len(keys) - 1) // 4 + 1):
        e = action_json[keys[4 * i]]
        m, v = e["move_action"], e["view_action"]
        trans = MOVE_ONE_HOT[
            (
                "W" in m and "S" not in m,
                "S" in m and "W" not in m,
                "D" in m and "A" not in m,
                "A" in m and "D" not in m,
            )
        ]
        rot = {"LR": 1, "LL": 2, "LU": 3, "LD": 4}.get(v, 0)
        out.append(trans * 9 + rot)
    return out


@pytest.fixture
def clip():
    labels = list(range(NUM_ACTIONS))
    c2w0 = pose_from_yaw_pitch(np.array([3.0, -2.0, 1.6]), 0.4, 0.0)
    c2w = trajectory_from_labels(labels, 0.1, 2.0, c2w0)[:-2]  # 323 frames: a trailing partial latent
    return c2w, intrinsics(320, 180), latent_actions(c2w)


def test_round_trip_through_json(tmp_path, clip):
    c2w, K, lat = clip
    paths = write_hy_worldplay(
        tmp_path / "hy", "clip0", c2w, K, lat, latent_path=tmp_path / "clip0_latent.pt"
    )
    assert paths["pose_path"].name == "clip0_pose.json" and paths["action_path"].name == "clip0_action.json"
    poses = json.loads(paths["pose_path"].read_text())
    actions = json.loads(paths["action_path"].read_text())
    T = len(c2w)
    assert list(poses) == [str(t) for t in range(T)] == list(actions)  # numeric order, every frame
    w2c = np.array([poses[str(t)]["w2c"] for t in range(T)])
    np.testing.assert_allclose(np.linalg.inv(w2c), c2w, atol=1e-12)
    np.testing.assert_array_equal(np.array(poses["17"]["intrinsic"]), K)
    assert [hy_to_label(actions[str(4 * i)]) for i in range(1, len(lat))] == lat[1:].tolist()
    assert lat[1:].tolist() == list(range(NUM_ACTIONS - 1))  # the fixture covers every label but the cut one
    back_c2w, back_K, back_lat = read_hy_worldplay(paths["pose_path"], paths["action_path"])
    np.testing.assert_allclose(back_c2w, c2w, atol=1e-12)
    np.testing.assert_array_equal(back_lat, lat)
    # the release's on-the-fly path recomputes the same labels from the pose JSON (frame 4i per latent)
    assert latent_actions(back_c2w).tolist() == lat.tolist()


def test_frames_carry_their_latent_and_the_tail_is_none(tmp_path, clip):
    c2w, K, lat = clip
    actions = json.loads(write_hy_worldplay(tmp_path, "c", c2w, K, lat)["action_path"].read_text())
    for t in (1, 2, 3, 4, 5, 8, 9, 316):
        assert hy_to_label(actions[str(t)]) == lat[(t + 3) // 4]
    assert [hy_to_label(actions[str(t)]) for t in (0, 321, 322)] == [0, 0, 0]
    fr = frame_actions(c2w)
    per_frame = json.loads(
        write_hy_worldplay(tmp_path, "f", c2w, K, lat, frame_labels=fr)["action_path"].read_text()
    )
    assert [hy_to_label(per_frame[str(t)]) for t in range(len(c2w))] == fr.tolist()
    with pytest.raises(ValueError, match="frame 4i"):
        write_hy_worldplay(tmp_path, "g", c2w, K, lat, frame_labels=np.zeros(len(c2w), np.int16))


def test_release_spelling_and_what_the_release_trainer_reads(tmp_path):
    assert hy_action_entry(keys_to_label(["W", "D"])) == {"move_action": "WD", "view_action": ""}
    assert hy_action_entry(keys_to_label(["S", "A", "left"])) == {"move_action": "SA", "view_action": "LL"}
    assert hy_action_entry(0) == {"move_action": "", "view_action": ""}
    combo = keys_to_label(["right", "up"])
    assert hy_action_entry(combo) == {"move_action": "", "view_action": "LR+LU"}
    assert hy_action_entry(combo, view_combos="yaw") == {"move_action": "", "view_action": "LR"}
    labels = [keys_to_label(k) for k in (["W", "D", "right"], ["S", "up"], ["A", "left", "down"], ["D"])]
    c2w = trajectory_from_labels(labels)
    keep = [keys_to_label(k) for k in (["W", "D", "right"], ["S", "up"], ["A"], ["D"])]
    yaw = [keys_to_label(k) for k in (["W", "D", "right"], ["S", "up"], ["A", "left"], ["D"])]
    for combos, expect in (("keep", keep), ("yaw", yaw)):
        p = write_hy_worldplay(tmp_path, combos, c2w, intrinsics(64, 48), [0, *labels], view_combos=combos)
        assert _release_reads(json.loads(p["action_path"].read_text())) == [0, *expect]


def test_same_input_same_bytes(tmp_path, clip):
    c2w, K, lat = clip
    a = write_hy_worldplay(tmp_path / "a", "x", c2w, K, lat)
    b = write_hy_worldplay(tmp_path / "b", "x", c2w.copy(), K.copy(), lat.astype(np.int64))
    assert a["pose_path"].read_bytes() == b["pose_path"].read_bytes()
    assert a["action_path"].read_bytes() == b["action_path"].read_bytes()
    assert sorted(os.listdir(tmp_path / "a")) == ["x_action.json", "x_pose.json"]


def test_bad_inputs_raise(tmp_path, clip):
    c2w, K, lat = clip
    with pytest.raises(ValueError, match="expected 81"):
        write_hy_worldplay(tmp_path, "c", c2w, K, lat[:-1])
    with pytest.raises(ValueError, match="positive"):
        write_hy_worldplay(tmp_path, "c", c2w, np.diag([100.0, 100.0, 1.0]), lat)
    with pytest.raises(ValueError, match="K must"):
        write_hy_worldplay(tmp_path, "c", c2w, np.stack([K] * 3), lat)
    with pytest.raises(ValueError, match="name"):
        write_hy_worldplay(tmp_path, "a/b", c2w, K, lat)
    with pytest.raises(ValueError, match="view_combos"):
        hy_action_entry(5, view_combos="pitch")
    assert not list(tmp_path.iterdir())
    bad = tmp_path / "bad_pose.json"
    bad.write_text('{"0": {"w2c": [[1, 0], [0, 1]]}}')
    with pytest.raises(ValueError, match="bad_pose.json"):
        read_hy_worldplay(bad)


def test_dataset_list_relative_to_its_folder(tmp_path, clip):
    c2w, K, lat = clip
    entries = [
        write_hy_worldplay(
            tmp_path / "data" / f"c{i}",
            f"c{i}",
            c2w[:9],
            K,
            lat[:3],
            latent_path=tmp_path / "latent_dataset_w_action" / f"c{i}_latent.pt",
        )
        for i in range(2)
    ]
    path = write_hy_dataset_list(tmp_path / "lists" / "train.json", entries)
    rows = json.loads(path.read_text())
    assert rows[0] == {
        "latent_path": "../latent_dataset_w_action/c0_latent.pt",
        "pose_path": "../data/c0/c0_pose.json",
        "action_path": "../data/c0/c0_action.json",
    }
    for row in rows:
        assert (path.parent / row["pose_path"]).is_file() and (path.parent / row["action_path"]).is_file()
    absolute = json.loads(write_hy_dataset_list(tmp_path / "abs.json", entries, relative=False).read_text())
    assert absolute[1]["pose_path"] == str(entries[1]["pose_path"])
    assert write_hy_dataset_list(tmp_path / "again.json", entries).read_bytes() != b""
    no_action = write_hy_dataset_list(
        tmp_path / "p.json", [{"latent_path": "l.pt", "pose_path": "p.json"}], relative=False
    )
    assert json.loads(no_action.read_text()) == [{"latent_path": "l.pt", "pose_path": "p.json"}]
    no_latent = write_hy_dataset_list(tmp_path / "n.json", [{"pose_path": "p.json"}], relative=False)
    assert json.loads(no_latent.read_text()) == [{"latent_path": None, "pose_path": "p.json"}]
    with pytest.raises(ValueError, match="entry 0 lacks"):
        write_hy_dataset_list(tmp_path / "x.json", [{"latent_path": "l.pt"}])
    with pytest.raises(ValueError, match="unknown key"):
        write_hy_dataset_list(tmp_path / "x.json", [{"latent_path": "l", "pose_path": "p", "video": "v"}])
    assert not (tmp_path / "x.json").exists()
