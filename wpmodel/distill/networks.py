"""The three DMD networks from one trained WorldPlay checkpoint (``wp train`` output).

Teacher (real score): the checkpoint's weights (EMA when present and asked for), frozen, eval mode.
Student (generator) and critic (fake score): copies of the teacher's weights, trainable. All three have
the teacher's architecture, so the student loads wherever a WorldPlay checkpoint does
(``wpmodel.generate.load.load_dit``) and runs in ``StreamingGenerator`` with 4 steps.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch

from wpmodel.dit.model import WorldPlayDiT
from wpmodel.generate.load import load_dit
from wpmodel.train.config import TrainConfig


@dataclass
class Networks:
    teacher: WorldPlayDiT  # frozen, eval
    student: WorldPlayDiT  # trainable
    critic: WorldPlayDiT  # trainable
    teacher_config: TrainConfig  # the teacher's training config (its model section builds all three)
    teacher_checkpoint: Path


def load_networks(
    path: str | Path, config: str | Path | None = None, ema: bool = True, device: str | torch.device = "cpu"
) -> Networks:
    """Teacher, student and critic from the run folder or checkpoint folder ``path``."""
    teacher, cfg, ckpt = load_dit(path, config, ema=ema, device=device)
    teacher.requires_grad_(False).eval()
    student = copy.deepcopy(teacher).requires_grad_(True).train()
    critic = copy.deepcopy(teacher).requires_grad_(True).train()
    return Networks(teacher, student, critic, cfg, ckpt)
