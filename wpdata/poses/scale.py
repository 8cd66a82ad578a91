"""Translation scale of a PoseTrack, normalised per clip so action thresholds mean the same across clips.

Monocular SfM recovers poses only up to scale: the same walk comes out 0.1 or 10 units long. The
release's discrete actions threshold the relative translation between latents (|t| > 0.01), so the
scale has to be fixed by a rule that does not depend on the reconstruction's gauge.

Default rule ``"auto"``:
- estimated tracks (they carry ``median_depth``): rule ``"median_depth"`` -- translations are scaled
  so that the median depth of the reconstructed points, in the cameras that observe them, equals
  ``target`` (default 1.0). Why: what a video shows of camera motion is parallax, i.e. translation
  relative to scene depth; a step of 1% of the typical scene depth looks alike in a room and in a
  street, and the statistic is robust (median over thousands of observations, independent of the
  clip's length and of how much the camera moved). Set ``target`` to a typical scene depth in metres
  (e.g. 5.0) to bring estimated clips near the metric scale of given poses.
- given tracks (Sekai, ViPE, clip npz, nerfstudio): kept as they are, rule ``"given"`` (they are
  metric or near-metric, which is what the release's thresholds were set on).
Other rules: ``"median_depth"`` explicitly; ``"path_length"`` (camera path length = ``target``,
default 1.0; for tracks without depth, but it makes a short and a long walk equally long); ``"none"``.

`scale` in the result is the total factor applied to the input's translations (composed when a
track is normalised twice); `scale_rule` names the rule.
"""

from __future__ import annotations

import dataclasses
import math

from .track import PoseTrack

RULES = ("auto", "median_depth", "path_length", "given", "none")


def _scaled(track: PoseTrack, s: float, rule: str) -> PoseTrack:
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"scale rule {rule!r} gives an unusable factor {s}")
    c2w = track.c2w.copy()  # [T, 4, 4]
    c2w[:, :3, 3] *= s
    depth = None if track.median_depth is None else track.median_depth * s
    return dataclasses.replace(track, c2w=c2w, scale=track.scale * s, scale_rule=rule, median_depth=depth)


def normalise_scale(track: PoseTrack, rule: str = "auto", **params: float) -> PoseTrack:
    """A copy of `track` with translations scaled by `rule` (see the module docstring); sets scale/scale_rule.

    params: ``target`` for "median_depth" (default 1.0) and "path_length" (default 1.0).
    """
    if rule not in RULES:
        raise ValueError(f"unknown scale rule {rule!r}; known: {RULES}")
    unknown = set(params) - {"target"}
    if unknown:
        raise ValueError(f"scale rule {rule!r}: unknown parameter(s) {sorted(unknown)}")
    target = float(params.get("target", 1.0))
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"scale target must be positive, got {target}")
    if rule == "auto":
        rule = "median_depth" if track.median_depth is not None else "given"
    if rule in ("given", "none"):
        return dataclasses.replace(track, scale_rule=rule)
    if rule == "median_depth":
        d = track.median_depth
        if d is None or not (math.isfinite(d) and d > 0):
            raise ValueError(f"scale rule 'median_depth' needs a positive median_depth, track has {d}")
        return _scaled(track, target / d, rule)
    length = track.path_length()
    if length <= 1e-12:
        raise ValueError("scale rule 'path_length': the camera does not move (path length 0)")
    return _scaled(track, target / length, rule)
