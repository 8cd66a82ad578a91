"""Thresholds that turn a relative camera pose into a discrete WorldPlay action (release values by default).

The HY-WorldPlay release trainer (``trainer/dataset/ar_camera_hunyuan_w_mem_dataset.py``) uses a
translation threshold of 0.01 (scene units), direction cones of 60 / 120 degrees and a rotation
threshold of 0.05 degrees; its inference code (``pose_to_input``) uses 1e-4 for translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class ActionThresholds:
    """When a relative pose counts as a movement / rotation (all comparisons strict, as in the release).

    translation: ``|t|`` must exceed it for any movement key (scene units; poses are scale-normalised).
    forward_cone_deg: angle of unit t to +z (to +x) below it -> W (D).
    backward_cone_deg: angle of unit t to +z (to +x) above it -> S (A).
    rotation_deg: euler 'xyz' angle (degrees) beyond +-it -> a view key (y: right/left, x: up/down).
    """

    translation: float = 0.01
    forward_cone_deg: float = 60.0
    backward_cone_deg: float = 120.0
    rotation_deg: float = 0.05

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"ActionThresholds.{f.name} must be a number, got {v!r}")
            object.__setattr__(self, f.name, float(v))
        if self.translation < 0 or self.rotation_deg < 0:
            raise ValueError(
                f"ActionThresholds: translation and rotation_deg must be >= 0, got "
                f"{self.translation}, {self.rotation_deg}"
            )
        if not 0.0 < self.forward_cone_deg <= 90.0 <= self.backward_cone_deg < 180.0:
            raise ValueError(
                "ActionThresholds: need 0 < forward_cone_deg <= 90 <= backward_cone_deg < 180, got "
                f"{self.forward_cone_deg}, {self.backward_cone_deg}"
            )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> ActionThresholds:
        """Thresholds from a config mapping; missing keys keep the release defaults, unknown keys raise."""
        if d is None:
            return cls()
        if not isinstance(d, Mapping):
            raise ValueError(f"action thresholds must be a mapping, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown action threshold key(s) {unknown}; expected some of {sorted(known)}")
        return cls(**dict(d))

    @classmethod
    def release_inference(cls) -> ActionThresholds:
        """The release's inference-time values (translation 1e-4, the rest unchanged)."""
        return cls(translation=1e-4)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)
