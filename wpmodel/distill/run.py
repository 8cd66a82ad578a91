"""torchrun entry point: ``torchrun --nproc_per_node N -m wpmodel.distill.run --config X.yaml [--set k=v ...]``."""

from __future__ import annotations

import argparse

from wpmodel.distill.config import load_distill_config
from wpmodel.distill.trainer import run_distill
from wpmodel.train.run import parse_sets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m wpmodel.distill.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--config", required=True, help="DistillConfig YAML (e.g. pipelines/configs/distill_tiny.yaml)"
    )
    parser.add_argument("--set", dest="sets", action="append", default=[], help="override: section.key=value")
    args = parser.parse_args(argv)
    result = run_distill(load_distill_config(args.config, parse_sets(args.sets)))
    if result.gen_losses:
        print(
            f"distilled steps {result.first_step + 1}..{result.step}; last DMD loss {result.gen_losses[-1]:.4g}"
        )


if __name__ == "__main__":
    main()
