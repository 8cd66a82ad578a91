"""decide: every threshold at its edge, all reasons together, failed rows, missing scores, YAML round trip."""

from __future__ import annotations

import math

import pytest
import yaml

from wpdata.filters.decide import DROP_REASONS, CurationThresholds, decide

TH = CurationThresholds()
GOOD = {
    "status": "ok", "drop_reasons": [], "duration_s": 5.0, "width": 640, "height": 360,
    "score_motion_reliable": 0.95, "score_motion": 0.2, "score_shake": 0.0,
    "score_overlay_area": 0.0, "score_overlay_evidence": 0.0, "overlay_kinds": [],
    "score_crowd": 0.0, "score_crowd_max": 0.0, "score_sharpness": 0.6, "score_brightness": 90.0,
    "score_dark_fraction": 0.0, "score_bright_fraction": 0.0,
}  # fmt: skip

# (column, value that just passes, value that just drops, reason); "just" = at the threshold / one step past
EDGES = [
    ("duration_s", TH.min_duration_s, TH.min_duration_s - 1e-9, "too_short"),
    ("width", TH.min_width, TH.min_width - 1, "low_resolution"),
    ("height", TH.min_height, TH.min_height - 1, "low_resolution"),
    ("score_motion_reliable", TH.min_motion_reliable, TH.min_motion_reliable - 1e-9, "unreliable_motion"),
    ("score_motion", TH.min_motion, TH.min_motion - 1e-9, "static_camera"),
    ("score_shake", TH.max_shake, TH.max_shake + 1e-9, "shake"),
    ("score_crowd", TH.max_crowd, TH.max_crowd + 1e-9, "crowd"),
    ("score_crowd_max", TH.max_crowd_peak, TH.max_crowd_peak + 1, "crowd"),
    ("score_brightness", TH.min_brightness, TH.min_brightness - 1e-9, "too_dark"),
    ("score_dark_fraction", TH.max_dark_fraction, TH.max_dark_fraction + 1e-9, "too_dark"),
    ("score_brightness", TH.max_brightness, TH.max_brightness + 1e-9, "overexposed"),
    ("score_bright_fraction", TH.max_bright_fraction, TH.max_bright_fraction + 1e-9, "overexposed"),
    ("score_sharpness", TH.min_sharpness, TH.min_sharpness - 1e-9, "blurred"),
]


@pytest.mark.parametrize(("column", "passes", "drops", "reason"), EDGES)
def test_threshold_edges(column, passes, drops, reason):
    assert decide({**GOOD, column: passes}, TH) == ("ok", [])
    assert decide({**GOOD, column: drops}, TH) == ("dropped", [reason])


def test_overlay_needs_evidence_and_a_droppable_kind():
    row = {**GOOD, "score_overlay_area": 0.02, "overlay_kinds": ["watermark", "letterbox", "watermark"]}
    assert decide({**row, "score_overlay_evidence": TH.min_overlay_evidence - 1e-9}, TH) == ("ok", [])
    assert decide({**row, "score_overlay_evidence": TH.min_overlay_evidence}, TH) == (
        "dropped",
        ["overlay:watermark"],
    )
    bars = {**row, "overlay_kinds": ["letterbox"], "score_overlay_evidence": 1.0, "score_overlay_area": 0.25}
    assert decide(bars, TH) == ("ok", [])  # bars are cropped, not a reason to drop
    huge = {**row, "overlay_kinds": ["subtitles"], "score_overlay_evidence": 0.0}
    assert decide({**huge, "score_overlay_area": TH.max_overlay_area}, TH) == ("ok", [])
    assert decide({**huge, "score_overlay_area": TH.max_overlay_area + 1e-9}, TH) == (
        "dropped",
        ["overlay:subtitles"],
    )
    th = TH.with_overrides({"min_overlay_area": 0.05})
    assert decide({**row, "score_overlay_evidence": 1.0}, th) == ("ok", [])  # too small a mark


def test_each_region_is_judged_by_its_own_evidence():
    row = {
        **GOOD, "score_overlay_area": 0.05, "score_overlay_evidence": 0.9,
        "overlay_kinds": ["watermark", "subtitles", "letterbox"],
    }  # fmt: skip
    weak = TH.min_overlay_evidence - 1e-6
    assert decide({**row, "overlay_evidences": [weak, 0.9, 1.0]}, TH) == ("dropped", ["overlay:subtitles"])
    assert decide({**row, "overlay_evidences": [TH.min_overlay_evidence, 0.9, 1.0]}, TH) == (
        "dropped",
        ["overlay:watermark", "overlay:subtitles"],
    )
    assert decide({**row, "overlay_evidences": [weak, weak, 1.0]}, TH) == ("ok", [])
    # manifests written before per-region evidences: the strongest region stands for every kind
    assert decide(row, TH)[1] == ["overlay:watermark", "overlay:subtitles"]
    assert decide({**row, "overlay_evidences": [0.1]}, TH)[1] == ["overlay:watermark", "overlay:subtitles"]
    huge = {**row, "score_overlay_area": TH.max_overlay_area + 1e-9, "overlay_evidences": [weak, weak, 1.0]}
    assert decide(huge, TH)[1] == ["overlay:watermark", "overlay:subtitles"]  # area alone drops


def test_all_reasons_are_reported_in_order():
    bad = {
        **GOOD, "duration_s": 1.0, "width": 100, "score_motion_reliable": 0.1, "score_motion": 0.0,
        "score_shake": 9.0, "score_overlay_evidence": 1.0, "score_overlay_area": 0.1,
        "overlay_kinds": ["hud", "subtitles", "logo", "watermark"], "score_crowd": 50.0,
        "score_brightness": 5.0, "score_bright_fraction": 0.9, "score_sharpness": 0.0,
    }  # fmt: skip
    status, reasons = decide(bad, TH)
    # static_camera needs reliable motion fits, so it cannot come with unreliable_motion
    assert status == "dropped" and reasons == [r for r in DROP_REASONS if r != "static_camera"]
    status, reasons = decide({**bad, "score_motion_reliable": 0.9}, TH)
    # a static camera gives the overlay test no evidence, so its overlay hits are not reasons
    assert reasons == [r for r in DROP_REASONS if r != "unreliable_motion" and not r.startswith("overlay:")]


def test_overlay_hits_on_a_static_camera_are_not_reasons():
    marked = {
        **GOOD,
        "score_overlay_area": 0.02,
        "score_overlay_evidence": 0.9,
        "overlay_kinds": ["watermark"],
    }
    assert decide(marked, TH) == ("dropped", ["overlay:watermark"])
    assert decide({**marked, "score_motion": TH.min_motion - 1e-9}, TH) == ("dropped", ["static_camera"])
    unknown = {**marked, "score_motion": 0.0, "score_motion_reliable": TH.static_min_reliable - 0.01}
    assert decide(unknown, TH) == ("dropped", ["overlay:watermark"])  # motion unknown, not static


def test_static_camera_needs_reliable_motion_fits():
    still = {**GOOD, "score_motion": 0.0}
    assert decide({**still, "score_motion_reliable": TH.static_min_reliable}, TH) == (
        "dropped",
        ["static_camera"],
    )
    assert decide({**still, "score_motion_reliable": TH.static_min_reliable - 0.01}, TH) == ("ok", [])


def test_failed_rows_stay_failed_and_missing_scores_trigger_nothing():
    assert decide({**GOOD, "status": "failed", "drop_reasons": []}, TH) == ("failed", [])
    assert decide({"status": "dropped", "drop_reasons": ["shake"]}, TH) == ("ok", [])  # no scores at all
    nan = {k: (math.nan if k.startswith("score_") else v) for k, v in GOOD.items()}
    assert decide(nan, TH) == ("ok", [])


def test_thresholds_yaml_roundtrip_and_errors(tmp_path):
    th = TH.with_overrides({"max_shake": "0.25", "min_width": 320.0})
    assert th.max_shake == 0.25 and th.min_width == 320 and isinstance(th.min_width, int)
    (tmp_path / "flat.yaml").write_text(yaml.safe_dump(th.to_dict()))
    assert CurationThresholds.from_yaml(tmp_path / "flat.yaml") == th
    (tmp_path / "nested.yaml").write_text(
        yaml.safe_dump({"analysis": {"width": 320}, "thresholds": {"max_crowd": 3}})
    )
    assert CurationThresholds.from_yaml(tmp_path / "nested.yaml").max_crowd == 3.0
    with pytest.raises(ValueError, match="unknown threshold"):
        CurationThresholds.from_dict({"max_shak": 1.0})
    with pytest.raises(ValueError, match="cannot read 'high' as float"):
        CurationThresholds.from_dict({"max_shake": "high"})
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        CurationThresholds.from_yaml(tmp_path / "list.yaml")
