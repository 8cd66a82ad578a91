"""Labels from poses: sign conventions from cameras built with the intended meaning, threshold edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from manifests.actions import keys_to_label, label
from manifests.layout import num_latents
from wpdata.actions import (
    ActionThresholds,
    action_histogram,
    frame_actions,
    latent_actions,
    latent_relative_poses,
    pose_to_label,
    relative_poses,
    trajectory_from_labels,
)
from wpdata.geometry import look_at
from wpdata.synth.cameras import pose_from_yaw_pitch

UP_CV = (0.0, -1.0, 0.0)  # world up of an OpenCV-style world (y down)


def _rel(t=(0.0, 0.0, 0.0), euler_xyz_deg=(0.0, 0.0, 0.0)) -> np.ndarray:
    rel = np.eye(4)
    rel[:3, :3] = Rotation.from_euler("xyz", euler_xyz_deg, degrees=True).as_matrix()
    rel[:3, 3] = t
    return rel


def _steps(n_latents: int) -> np.ndarray:
    return np.arange(4 * n_latents + 1, dtype=np.float64)


def test_looking_up_is_up_and_turning_right_is_right_with_look_at():
    k = _steps(5)
    # look up: the optical axis gains a -y (world-up) component frame by frame
    up = np.stack([look_at((0, 0, 0), (0, -0.05 * i, 10.0), UP_CV) for i in k])
    assert up[-1][:3, 2][1] < 0
    assert latent_actions(up)[1:].tolist() == [keys_to_label(["up"])] * 5
    down = np.stack([look_at((0, 0, 0), (0, 0.05 * i, 10.0), UP_CV) for i in k])
    assert latent_actions(down)[1:].tolist() == [keys_to_label(["down"])] * 5
    # turn right: the target moves to the camera's right (+x when looking along +z with y down)
    right = np.stack([look_at((0, 0, 0), (0.05 * i, 0, 10.0), UP_CV) for i in k])
    assert latent_actions(right)[1:].tolist() == [keys_to_label(["right"])] * 5
    left = np.stack([look_at((0, 0, 0), (-0.05 * i, 0, 10.0), UP_CV) for i in k])
    assert latent_actions(left)[1:].tolist() == [keys_to_label(["left"])] * 5


@pytest.mark.parametrize(
    ("direction", "key"), [((0, 0, 1), "W"), ((0, 0, -1), "S"), ((1, 0, 0), "D"), ((-1, 0, 0), "A")]
)
def test_moving_along_camera_axes_gives_wasd(direction, key):
    k = _steps(4)
    c2w = np.stack(
        [
            look_at(0.02 * i * np.array(direction), 0.02 * i * np.array(direction) + (0, 0, 5), UP_CV)
            for i in k
        ]
    )
    assert latent_actions(c2w).tolist() == [0] + [keys_to_label([key])] * 4


def test_signs_in_the_z_up_synthetic_world():
    k = _steps(4)
    eye = np.array([1.0, 2.0, 1.6])
    yaw0 = np.full_like(k, 0.3)
    pitch_up = pose_from_yaw_pitch(eye, yaw0, np.radians(0.5) * k)  # pitch grows = looking up
    assert latent_actions(pitch_up)[1:].tolist() == [keys_to_label(["up"])] * 4
    yaw_right = pose_from_yaw_pitch(eye, 0.3 - np.radians(0.5) * k, 0.0 * k)  # clockwise seen from above
    assert latent_actions(yaw_right)[1:].tolist() == [keys_to_label(["right"])] * 4
    right_dir = pose_from_yaw_pitch(eye, 0.3, 0.0)[:3, 0]
    strafe = pose_from_yaw_pitch(eye + 0.01 * k[:, None] * right_dir, yaw0, 0.0 * k)
    assert latent_actions(strafe)[1:].tolist() == [keys_to_label(["D"])] * 4


def test_translation_threshold_edges():
    assert pose_to_label(_rel((0, 0, 0.0099))) == 0
    assert pose_to_label(_rel((0, 0, 0.0101))) == keys_to_label(["W"])
    assert pose_to_label(_rel((0, 0, 0.01))) == 0  # strict, as in the release
    loose = ActionThresholds(translation=1e-4)
    assert pose_to_label(_rel((0, 0, 0.001)), loose) == keys_to_label(["W"])
    assert pose_to_label(_rel((0, 0, 0.4)), ActionThresholds(translation=0.5)) == 0


@pytest.mark.parametrize(
    ("deg", "expect"),
    [(59.9, ["W"]), (60.1, []), (119.9, []), (120.1, ["S"])],
)
def test_forward_backward_cone_edges(deg, expect):
    a = np.radians(deg)
    t = 0.5 * np.array([0.0, np.sin(a), np.cos(a)])  # in the y-z plane: 90 deg from +x
    assert pose_to_label(_rel(t)) == keys_to_label(expect)


@pytest.mark.parametrize(("deg", "expect"), [(59.9, ["D"]), (60.1, []), (119.9, []), (120.1, ["A"])])
def test_strafe_cone_edges(deg, expect):
    a = np.radians(deg)
    t = 0.5 * np.array([np.cos(a), np.sin(a), 0.0])  # in the x-y plane: 90 deg from +z
    assert pose_to_label(_rel(t)) == keys_to_label(expect)


def test_diagonal_inside_both_cones_is_a_combination():
    assert pose_to_label(_rel((0.1, 0, 0.1))) == keys_to_label(["W", "D"])
    assert pose_to_label(_rel((-0.1, 0, -0.1))) == keys_to_label(["S", "A"])
    narrow = ActionThresholds(forward_cone_deg=40.0, backward_cone_deg=140.0)
    assert pose_to_label(_rel((0.1, 0, 0.1)), narrow) == 0


@pytest.mark.parametrize(
    ("euler", "expect"),
    [
        ((0, 0.0499, 0), []),
        ((0, 0.0501, 0), ["right"]),
        ((0, -0.0501, 0), ["left"]),
        ((0.0499, 0, 0), []),
        ((0.0501, 0, 0), ["up"]),
        ((-0.0501, 0, 0), ["down"]),
        ((0.2, 0.2, 0), ["right", "up"]),
        ((0, 0, 5.0), []),  # roll is no action
    ],
)
def test_rotation_threshold_edges(euler, expect):
    assert pose_to_label(_rel(euler_xyz_deg=euler)) == keys_to_label(expect)


def test_rotation_and_translation_are_independent():
    assert pose_to_label(_rel((0, 0, 0.005), (0, 1.0, 0))) == keys_to_label(["right"])
    assert pose_to_label(_rel((0, 0, 0.5), (-1.0, 0, 0))) == label(1, 4)


def test_static_trajectory_is_all_none():
    c2w = np.repeat(look_at((1, 2, 3), (0, 0, 10), UP_CV)[None], 33, axis=0)
    assert latent_actions(c2w).tolist() == [0] * 9
    assert frame_actions(c2w).tolist() == [0] * 33


@pytest.mark.parametrize("T", [1, 2, 4, 5, 6, 8, 9, 13])
def test_lengths_follow_the_latent_layout(T):
    c2w = trajectory_from_labels([keys_to_label(["W"])] * 4)[:T]
    assert latent_actions(c2w).shape == (num_latents(T),)
    assert latent_actions(c2w).dtype == np.int16
    assert frame_actions(c2w).shape == (T,)
    assert latent_relative_poses(c2w).shape == (num_latents(T), 4, 4)


def test_frame_labels_agree_with_latents_and_fill_the_first_latent():
    labels = [keys_to_label(k) for k in (["W"], ["D", "right"], ["S", "up"], [], ["left"])]
    c2w = trajectory_from_labels(labels)
    lat, fr = latent_actions(c2w), frame_actions(c2w)
    assert fr[::4].tolist() == lat.tolist()
    assert fr[0] == 0 and fr[1:4].tolist() == [lat[1]] * 3
    assert frame_actions(c2w[:4]).tolist() == [0] * 4


def test_relative_poses_compose_back():
    c2w = trajectory_from_labels([keys_to_label(["W", "right"])] * 3)
    for stride in (1, 4):
        rel = relative_poses(c2w, stride)
        np.testing.assert_allclose(c2w[:-stride] @ rel[stride:], c2w[stride:], atol=1e-12)
        np.testing.assert_array_equal(rel[:stride], np.broadcast_to(np.eye(4), (stride, 4, 4)))


def test_float32_poses_give_the_same_labels():
    labels = np.random.default_rng(3).integers(0, 81, size=20)
    c2w = trajectory_from_labels(labels, c2w0=look_at((30, -2, 40), (0, 0, 0), UP_CV))
    assert latent_actions(c2w.astype(np.float32)).tolist() == latent_actions(c2w).tolist()


def test_histogram_counts_every_class():
    h = action_histogram(np.array([0, 0, 5, 80], np.int16))
    assert h.dtype == np.int32 and h.shape == (81,)
    assert h[0] == 2 and h[5] == 1 and h[80] == 1 and h.sum() == 4
    assert action_histogram(np.array([], np.int16)).sum() == 0
    with pytest.raises(ValueError, match="81"):
        action_histogram(np.array([81]))


def test_bad_poses_raise():
    bad = np.repeat(np.eye(4)[None], 5, axis=0)
    bad[2, 0, 3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        latent_actions(bad)
    with pytest.raises(ValueError, match="shape"):
        latent_actions(np.zeros((5, 3, 4)))
    with pytest.raises(ValueError, match="stride"):
        relative_poses(np.repeat(np.eye(4)[None], 3, axis=0), 0)
