"""Context Forcing distillation of the WorldPlay DiT (``wp distill``, REFERENCE.md section 1): DMD with a
few-step causal student that rolls out with its own reconstituted memory, a frozen memory-aware teacher
and a critic, teacher and critic conditioned, per scored chunk, on the memory the student used for it
(clean data).

Modules: ``config`` (DistillConfig, load_distill_config), ``clip`` (Clip: one sample of a batch),
``networks`` (teacher / student / critic from one checkpoint), ``rollout`` (student_rollout),
``context`` (per scored chunk segments: aligned / own, ScoreWindow), ``losses`` (DMD generator loss,
critic loss), ``updates`` (one critic / generator update), ``trainer`` (distill, run_distill; FSDP2 for
student and critic), ``run`` (torchrun entry).
"""

from wpmodel.distill.config import DistillConfig, load_distill_config

__all__ = ["DistillConfig", "load_distill_config"]
