import pytest

from manifests.actions import (
    NUM_ACTIONS,
    ROT_NAMES,
    TRANS_NAMES,
    hy_to_label,
    keys_to_label,
    label,
    label_name,
    label_to_hy,
    label_to_keys,
    split,
)


def test_reference_tables():
    assert NUM_ACTIONS == 81
    assert TRANS_NAMES == ("none", "W", "S", "D", "A", "W+D", "W+A", "S+D", "S+A")
    assert ROT_NAMES[5] == "right+up" and ROT_NAMES[8] == "left+down" and ROT_NAMES[2] == "left"
    assert keys_to_label(["W", "D", "right", "up"]) == 5 * 9 + 5 == label(5, 5)
    assert split(50) == (5, 5)
    assert label_name(50) == "W+D/right+up"
    assert label_name(0) == "none/none"
    assert keys_to_label(["A"]) == 4 * 9 and keys_to_label(["down"]) == 4
    assert keys_to_label(["S", "A", "left", "down"]) == 8 * 9 + 8 == 80


@pytest.mark.parametrize("lab", range(NUM_ACTIONS))
def test_every_label_round_trips(lab):
    assert keys_to_label(label_to_keys(lab)) == lab
    assert hy_to_label(label_to_hy(lab)) == lab
    assert label(*split(lab)) == lab


def test_opposite_keys_cancel_and_aliases():
    assert keys_to_label(["W", "S"]) == 0
    assert keys_to_label(["W", "S", "D"]) == label(3, 0)
    assert keys_to_label(["left", "right", "up"]) == label(0, 3)
    assert keys_to_label(["W", "LR", "LU"]) == label(1, 5)
    assert keys_to_label(["w", "d"]) == label(5, 0)
    assert keys_to_label([]) == 0


def test_hy_json_forms():
    assert label_to_hy(label(5, 1)) == {"move_action": "W+D", "view_action": "LR"}
    assert label_to_hy(0) == {"move_action": "", "view_action": ""}
    assert hy_to_label({"move_action": "WD", "view_action": "LRLU"}) == label(5, 5)
    assert hy_to_label({"move_action": "W", "view_action": "LL"}) == label(1, 2)
    assert hy_to_label({"move_action": None, "view_action": "none"}) == 0
    assert hy_to_label({"move_action": "WS", "view_action": ""}) == 0


def test_bad_input():
    with pytest.raises(ValueError, match="unknown action key 'X'"):
        keys_to_label(["X"])
    with pytest.raises(TypeError):
        keys_to_label("WD")
    with pytest.raises(ValueError):
        split(81)
    with pytest.raises(ValueError):
        label(9, 0)
    with pytest.raises(ValueError, match="bad move_action"):
        hy_to_label({"move_action": "Q", "view_action": ""})
    with pytest.raises(ValueError, match="bad view_action"):
        hy_to_label({"move_action": "", "view_action": "LX"})
