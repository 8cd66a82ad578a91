"""crowd: HOG people counts on drawn silhouettes and a people-free synthetic street; a tiny random-weight
YOLOS saved locally and loaded back through TransformersPeopleDetector (no network)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from wpdata.filters.crowd import HogPeopleDetector, TransformersPeopleDetector, crowd_density, nms_count
from wpdata.synth import intrinsics, make_world, render, walking

if not hasattr(cv2, "HOGDescriptor"):
    pytest.skip(
        "this OpenCV build has no HOGDescriptor (OpenCV 5 needs opencv-contrib)", allow_module_level=True
    )


def _person(img: np.ndarray, cx: int, top: int, height: int) -> None:
    """A filled dark pedestrian silhouette (head, torso, arms, legs) standing at cx, top."""
    u, color = height / 8.0, (40, 40, 40)
    cv2.circle(img, (cx, int(top + 0.55 * u)), int(0.5 * u), color, -1)
    cv2.ellipse(img, (cx, int(top + 2.6 * u)), (int(0.85 * u), int(1.6 * u)), 0, 0, 360, color, -1)
    for s in (-1, 1):
        arm = ((int(cx + s * 0.8 * u), int(top + 1.4 * u)), (int(cx + s * 1.0 * u), int(top + 4.2 * u)))
        leg = ((int(cx + s * 0.35 * u), int(top + 4.0 * u)), (int(cx + s * 0.6 * u), int(top + 7.9 * u)))
        cv2.line(img, *arm, color, int(0.35 * u))
        cv2.line(img, *leg, color, int(0.45 * u))


def _people_frame(n: int) -> np.ndarray:
    img = np.empty((360, 640, 3), np.uint8)  # [H, W, 3]
    img[:] = np.linspace(150, 220, 640)[None, :, None].astype(np.uint8)
    for cx in np.linspace(100, 550, n).astype(int) if n else []:
        _person(img, int(cx), 80, 200)
    return img


def test_hog_counts_silhouettes_and_nothing_on_empty():
    det = HogPeopleDetector()
    assert det.count(_people_frame(4)) == 4
    assert det.count(_people_frame(2)) == 2
    assert det.count(_people_frame(0)) == 0
    frames = np.stack([_people_frame(4), _people_frame(2)])
    assert crowd_density(frames, det) == {"mean": 3.0, "max": 4.0}
    assert det.count(np.zeros((100, 50, 3), np.uint8)) == 0  # smaller than the 64x128 window


def test_hog_on_synthetic_street_finds_no_people():
    world = make_world(5, "street")
    c2w = walking(world, 2, 15.0, seed=2)
    frame = render(world, c2w[1], intrinsics(640, 360, 70.0), 640, 360)[0]  # [360, 640, 3]
    det = HogPeopleDetector()
    assert det.count(frame) == 0
    assert det.detect(frame)[0].shape[1] == 4
    np.testing.assert_array_equal(det.detect(frame)[1], det.detect(frame)[1])  # deterministic


def test_nms_merges_overlapping_boxes_only():
    boxes = np.array([[10, 10, 64, 128], [14, 12, 64, 128], [300, 10, 64, 128], [600, 5, 60, 120]], float)
    scores = np.array([2.0, 1.5, 1.2, 0.3])
    assert nms_count(boxes, scores, score_threshold=0.5, iou_threshold=0.4) == 2
    assert nms_count(boxes, scores, score_threshold=0.1, iou_threshold=0.4) == 3
    assert nms_count(boxes, scores, score_threshold=0.1, iou_threshold=0.99) == 4
    assert nms_count(np.zeros((0, 4)), np.zeros(0), 0.5, 0.4) == 0


def _tiny_yolos(path, id2label: dict[int, str], queries: int = 6):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("PIL")
    config = transformers.YolosConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        image_size=[64, 64], patch_size=16, num_detection_tokens=queries,
        id2label=id2label, label2id={v: k for k, v in id2label.items()},
    )  # fmt: skip
    transformers.YolosForObjectDetection(config).save_pretrained(path)
    transformers.YolosImageProcessorPil(size={"shortest_edge": 64, "longest_edge": 96}).save_pretrained(path)
    return path


@pytest.mark.slow  # importing transformers and loading 4 models takes 10-40 s on 2 busy cores
def test_transformers_detector_counts_person_queries(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rgb = np.random.default_rng(0).integers(0, 256, (90, 160, 3), dtype=np.uint8)
    only_people = _tiny_yolos(tmp_path / "people", {0: "person", 1: "Person"})
    assert TransformersPeopleDetector(only_people, threshold=0.0).count(rgb) == 6  # every query
    assert TransformersPeopleDetector(only_people, threshold=1.01).count(rgb) == 0
    mixed = _tiny_yolos(tmp_path / "mixed", {0: "person", 1: "car", 2: "dog"})
    counts = [TransformersPeopleDetector(mixed, threshold=t).count(rgb) for t in (0.0, 0.3, 0.6, 1.01)]
    assert all(isinstance(c, int) for c in counts) and counts[-1] == 0
    assert counts == sorted(counts, reverse=True) and counts[0] <= 6
    det = TransformersPeopleDetector(mixed, threshold=0.0)
    assert crowd_density(np.stack([rgb, rgb]), det)["max"] == counts[0]
    no_person = _tiny_yolos(tmp_path / "cars", {0: "car", 1: "dog"})
    with pytest.raises(ValueError, match="no 'person' label"):
        TransformersPeopleDetector(no_person)
