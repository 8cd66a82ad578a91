"""DiTConfig presets, sizes and dict round trips."""

from __future__ import annotations

import pytest

from wpmodel.dit import PRESETS, DiTConfig, count_parameters


def test_preset_parameter_counts():
    counts = {name: count_parameters(DiTConfig.preset(name)) for name in PRESETS}
    for name, n in counts.items():
        print(f"DiT preset {name}: {n:,} parameters")
    assert 1e6 <= counts["tiny"] <= 3e6
    assert counts["tiny"] < counts["small"] < counts["1b"]
    assert 0.8e9 <= counts["1b"] <= 1.3e9


def test_dict_round_trip_and_preset_key():
    cfg = DiTConfig.preset("small", use_prope=False, rope_dims=(24, 20, 20))
    d = cfg.to_dict()
    assert d["patch_size"] == [1, 2, 2] and d["rope_dims"] == [24, 20, 20]
    assert DiTConfig.from_dict(d) == cfg
    assert DiTConfig.from_dict({"preset": "tiny", "depth": 2}) == DiTConfig.preset("tiny", depth=2)


def test_rope_split_covers_head_dim():
    for name in PRESETS:
        cfg = DiTConfig.preset(name)
        split = cfg.rope_split
        assert sum(split) == cfg.head_dim and all(d % 2 == 0 and d > 0 for d in split)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"hidden": 130, "heads": 4}, "not divisible"),
        ({"hidden": 24, "heads": 4}, "multiple of 4"),
        ({"patch_size": (2, 2, 2)}, "patch_size"),
        ({"rope_dims": (10, 10, 10)}, "rope_dims"),
    ],
)
def test_invalid_configs_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        DiTConfig(**kw)


def test_unknown_keys_and_presets_raise():
    with pytest.raises(ValueError, match="unknown DiTConfig key"):
        DiTConfig.from_dict({"hiden": 3})
    with pytest.raises(ValueError, match="unknown DiT preset"):
        DiTConfig.preset("huge")
