"""Key scripts and the paths that perform them: every label and random scripts decode back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from manifests.actions import NUM_ACTIONS, keys_to_label, label_to_keys
from wpdata.actions import format_key_script, latent_actions, parse_key_script, trajectory_from_labels
from wpdata.synth.cameras import pose_from_yaw_pitch, yaw_pitch_of

W, D, S, A = (keys_to_label([k]) for k in "WDSA")


def test_parse_grammar_and_aliases():
    assert parse_key_script("W*16 D*8 W+right*4") == [W] * 16 + [D] * 8 + [keys_to_label(["W", "right"])] * 4
    assert parse_key_script("w-2, LR, idle*2,none") == [W, W, keys_to_label(["right"])] + [0] * 3
    assert parse_key_script("s+A*2 Left+UP") == [keys_to_label(["S", "A"])] * 2 + [
        keys_to_label(["left", "up"])
    ]
    assert parse_key_script("W+S*2 LL+LD") == [0, 0, keys_to_label(["left", "down"])]  # opposites cancel
    assert parse_key_script("   ") == []


@pytest.mark.parametrize("bad", ["X*3", "W*0", "W+*2", "W**2", "right*two", "W*-1", "jump"])
def test_parse_rejects_bad_tokens_naming_them(bad):
    with pytest.raises(ValueError, match="token"):
        parse_key_script(f"W*2 {bad} D")


def test_format_is_the_inverse_of_parse():
    labels = [W, W, 0, keys_to_label(["S", "D", "left", "up"]), 80, 80, 80]
    script = format_key_script(labels)
    assert script == "W*2 none*1 S+D+left+up*1 S+A+left+down*3"
    assert parse_key_script(script) == labels


def test_every_label_decodes_back():
    labels = [x for x in range(NUM_ACTIONS) for _ in range(2)]
    script = format_key_script(labels)
    c2w = trajectory_from_labels(parse_key_script(script), step_m=0.08, turn_deg=3.0)
    assert c2w.shape == (1 + 4 * len(labels), 4, 4)
    decoded = latent_actions(c2w)
    assert decoded[0] == 0
    assert decoded[1:].tolist() == labels


def _random_labels(rng: np.random.Generator, n: int, max_pitch_steps: int) -> list[int]:
    """Random labels whose up/down presses keep the pitch inside +-max_pitch_steps latent steps."""
    out, pitch = [], 0
    for _ in range(n):
        x = int(rng.integers(NUM_ACTIONS))
        keys = label_to_keys(x)
        d = ("up" in keys) - ("down" in keys)
        if abs(pitch + d) > max_pitch_steps:
            keys = (keys - {"up", "down"}) | ({"down"} if d > 0 else {"up"})
            x, d = keys_to_label(sorted(keys)), -d
        out.append(x)
        pitch += d
    return out


@pytest.mark.parametrize("seed", range(6))
def test_random_scripts_decode_back(seed):
    rng = np.random.default_rng(seed)
    step, turn = float(rng.uniform(0.02, 0.3)), float(rng.uniform(0.5, 3.0))
    labels = _random_labels(rng, 60, max_pitch_steps=int(30 // turn))
    script = format_key_script(labels)
    c2w = trajectory_from_labels(parse_key_script(script), step, turn)
    assert latent_actions(c2w)[1:].tolist() == labels, script


def test_z_up_world_with_a_pitched_start():
    c2w0 = pose_from_yaw_pitch(np.array([2.0, -1.0, 1.6]), 0.7, np.radians(10.0))
    labels = _random_labels(np.random.default_rng(9), 40, max_pitch_steps=5)
    c2w = trajectory_from_labels(labels, 0.1, 2.0, c2w0, world_up=(0, 0, 1))
    np.testing.assert_allclose(c2w[0], c2w0, atol=1e-12)
    assert latent_actions(c2w)[1:].tolist() == labels
    # turning right is about world up: the pitch stays, the yaw decreases (clockwise seen from above)
    turn = trajectory_from_labels([keys_to_label(["W", "right"])] * 5, 0.1, 2.0, c2w0, world_up=(0, 0, 1))
    yaw, pitch = yaw_pitch_of(turn)
    np.testing.assert_allclose(pitch, np.radians(10.0), atol=1e-12)
    np.testing.assert_allclose(np.diff(yaw), -np.radians(0.5), atol=1e-12)
    np.testing.assert_allclose(turn[:, 2, 3], 1.6, atol=1e-12)  # walking keeps the height


def test_path_is_smooth_and_starts_at_identity():
    c2w = trajectory_from_labels([W, keys_to_label(["D", "left"]), 0], step_m=0.2, turn_deg=2.0)
    np.testing.assert_array_equal(c2w[0], np.eye(4))
    steps = np.linalg.norm(np.diff(c2w[:, :3, 3], axis=0), axis=1)
    np.testing.assert_allclose(steps, [0.05] * 8 + [0.0] * 4, atol=1e-12)
    cosang = np.einsum("ti,ti->t", c2w[1:, :3, 2], c2w[:-1, :3, 2])
    np.testing.assert_allclose(
        np.degrees(np.arccos(np.clip(cosang, -1, 1))), [0] * 4 + [0.5] * 4 + [0] * 4, atol=1e-5
    )


def test_pitch_is_clamped_and_the_clamped_steps_lose_up():
    up = keys_to_label(["up"])
    c2w = trajectory_from_labels([up] * 15, turn_deg=3.0, pitch_limit_deg=30.0)
    pitch = np.degrees(np.arcsin(-c2w[:, 1, 2]))  # optical axis' up (-y) component
    assert pitch.max() == pytest.approx(30.0, abs=1e-9)
    assert latent_actions(c2w)[1:].tolist() == [up] * 10 + [0] * 5


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="labels"):
        trajectory_from_labels([81])
    with pytest.raises(ValueError, match="step_m"):
        trajectory_from_labels([W], step_m=-1)
    with pytest.raises(ValueError, match="pitch_limit"):
        trajectory_from_labels([W], pitch_limit_deg=90)
    with pytest.raises(ValueError, match="beyond"):
        trajectory_from_labels(
            [W], c2w0=pose_from_yaw_pitch(np.zeros(3), 0.0, np.radians(50)), world_up=(0, 0, 1)
        )
    assert trajectory_from_labels([]).shape == (1, 4, 4)
