"""DistillConfig: the tiny YAML loads with overrides, round-trips, and bad values name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from wpmodel.distill.config import DistillConfig, load_distill_config

TINY = Path(__file__).resolve().parents[3] / "pipelines" / "configs" / "distill_tiny.yaml"


def test_tiny_yaml_loads_with_overrides_and_round_trips():
    cfg = load_distill_config(TINY, {"distill.guidance_scale": 1.5, "teacher": {"path": "runs/t"}})
    assert cfg.distill.guidance_scale == 1.5 and cfg.teacher.path == "runs/t"
    assert (cfg.distill.denoising_steps, cfg.distill.critic_steps, cfg.train.ema_decay) == (4, 5, 0.99)
    assert cfg.optim.betas == (0.0, 0.999) and cfg.distill.timestep_clamp == (0.02, 0.98)
    assert DistillConfig.from_dict(cfg.to_dict()) == cfg
    ref = DistillConfig()  # the reference's numbers are the code defaults
    assert (ref.optim.lr_generator, ref.optim.lr_critic, ref.distill.guidance_scale) == (2e-6, 4e-7, 3.0)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"distill.grad_chunks": 4}, "grad_chunks"),
        ({"distill.timestep_clamp": [0.0, 0.98]}, "timestep_clamp"),
        ({"distill.time_mode": "sometimes"}, "time_mode"),
        ({"distill.rollout_chunk": 2}, "unknown key"),
        ({"extra": {}}, "unknown config section"),
    ],
)
def test_bad_values_raise_naming_the_key(override, message):
    with pytest.raises(ValueError, match=message):
        load_distill_config(TINY, override)
