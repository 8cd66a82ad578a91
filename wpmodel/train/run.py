"""torchrun entry point: ``torchrun --nproc_per_node N -m wpmodel.train.run --config X.yaml [--set k=v ...]``.

Each process reads the config, joins the process group torchrun describes, trains and leaves the group.
``--set train.steps=10`` overrides one key (the value is parsed as YAML: numbers, booleans, lists).
"""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from wpmodel.train.config import load_train_config
from wpmodel.train.trainer import run_training


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``["train.steps=10", "data.shards=[a.tar, b.tar]"]`` -> dotted overrides with YAML-parsed values."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wpmodel.train.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", required=True, help="TrainConfig YAML (e.g. pipelines/configs/train_tiny.yaml)"
    )
    parser.add_argument("--set", dest="sets", action="append", default=[], help="override: section.key=value")
    args = parser.parse_args(argv)
    cfg = load_train_config(args.config, parse_sets(args.sets))
    result = run_training(cfg)
    if result.losses:
        print(f"trained steps {result.first_step + 1}..{result.step}; last loss {result.losses[-1]:.4g}")


if __name__ == "__main__":
    main()
