"""Action thresholds: release defaults, config dicts, rejected values."""

from __future__ import annotations

import pytest

from wpdata.actions import ActionThresholds


def test_defaults_are_the_release_values():
    th = ActionThresholds()
    assert th.to_dict() == {
        "translation": 0.01,
        "forward_cone_deg": 60.0,
        "backward_cone_deg": 120.0,
        "rotation_deg": 0.05,
    }
    assert ActionThresholds.release_inference().translation == 1e-4


def test_from_dict_overrides_some_keys_and_round_trips():
    th = ActionThresholds.from_dict({"translation": 0.02, "rotation_deg": 1})
    assert th.translation == 0.02 and th.rotation_deg == 1.0 and th.forward_cone_deg == 60.0
    assert ActionThresholds.from_dict(th.to_dict()) == th
    assert ActionThresholds.from_dict(None) == ActionThresholds()


@pytest.mark.parametrize(
    ("d", "match"),
    [
        ({"translaton": 0.1}, "unknown"),
        ({"translation": -1}, ">= 0"),
        ({"forward_cone_deg": 100}, "forward_cone_deg"),
        ({"backward_cone_deg": 80}, "backward_cone_deg"),
        ({"rotation_deg": "0.05"}, "number"),
        ({"translation": True}, "number"),
    ],
)
def test_bad_values_raise(d, match):
    with pytest.raises(ValueError, match=match):
        ActionThresholds.from_dict(d)
    with pytest.raises(ValueError, match="mapping"):
        ActionThresholds.from_dict([("translation", 0.1)])
