"""People counting for the crowd filter: OpenCV's HOG pedestrian detector, or any transformers detector.

Both detectors have ``.count(rgb [H, W, 3] uint8) -> int``; `crowd_density` runs one over a few frames
of a clip and returns the mean and the peak count. HOG (Dalal-Triggs, 64x128 window) needs no weights
and finds upright people taller than ~100 px; a DETR / YOLOS / RT-DETR checkpoint saved locally
(`save_pretrained`) is far better on real crowds and runs on a GPU when one is given.
"""

from __future__ import annotations

import os
from typing import Protocol

import cv2
import numpy as np

__all__ = ["HogPeopleDetector", "PeopleDetector", "TransformersPeopleDetector", "crowd_density", "nms_count"]


class PeopleDetector(Protocol):
    """Anything that counts people in one RGB frame."""

    def count(self, rgb: np.ndarray) -> int: ...


def nms_count(boxes: np.ndarray, scores: np.ndarray, score_threshold: float, iou_threshold: float) -> int:
    """Boxes [K, 4] (x, y, w, h) with scores [K] left after thresholding and non-max suppression."""
    if len(boxes) == 0:
        return 0
    keep = cv2.dnn.NMSBoxes(
        [list(map(float, b)) for b in boxes],
        [float(s) for s in scores],
        float(score_threshold),
        float(iou_threshold),
    )
    return int(len(np.asarray(keep).reshape(-1)))


class HogPeopleDetector:
    """cv2.HOGDescriptor with the default people SVM; detections above `score_threshold` after NMS."""

    def __init__(
        self,
        score_threshold: float = 1.0,
        iou_threshold: float = 0.4,
        win_stride: int = 8,
        scale: float = 1.1,
        max_width: int = 640,
    ) -> None:
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.score_threshold, self.iou_threshold = score_threshold, iou_threshold
        self.win_stride, self.scale, self.max_width = win_stride, scale, max_width

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw detections before NMS: boxes [K, 4] (x, y, w, h) in input pixels, SVM scores [K]."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB frame [H, W, 3], got shape {rgb.shape}")
        h, w = rgb.shape[:2]
        f = min(1.0, self.max_width / w)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)  # [H, W] uint8
        if f < 1.0:
            gray = cv2.resize(gray, (int(round(w * f)), int(round(h * f))), interpolation=cv2.INTER_AREA)
        if gray.shape[0] < 128 or gray.shape[1] < 64:
            return np.zeros((0, 4)), np.zeros(0)
        s = self.win_stride
        boxes, weights = self.hog.detectMultiScale(gray, winStride=(s, s), padding=(8, 8), scale=self.scale)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) / f  # [K, 4]
        return boxes, np.asarray(weights, dtype=np.float64).reshape(-1)  # [K]

    def count(self, rgb: np.ndarray) -> int:
        """People in one RGB frame [H, W, 3] uint8."""
        boxes, scores = self.detect(rgb)
        return nms_count(boxes, scores, self.score_threshold, self.iou_threshold)


class TransformersPeopleDetector:
    """A transformers object detector loaded from a local folder; counts "person" boxes above threshold."""

    def __init__(self, path: str | os.PathLike, threshold: float = 0.5, device: str = "cpu") -> None:
        import torch
        from transformers import AutoImageProcessor, AutoModelForObjectDetection

        self.torch, self.threshold, self.device = torch, float(threshold), device
        self.processor = AutoImageProcessor.from_pretrained(os.fspath(path), local_files_only=True)
        self.model = AutoModelForObjectDetection.from_pretrained(os.fspath(path), local_files_only=True)
        self.model.to(device).eval()
        id2label = {int(k): str(v).lower() for k, v in self.model.config.id2label.items()}
        self.person_ids = {i for i, name in id2label.items() if name == "person"}
        if not self.person_ids:
            raise ValueError(f"{path}: the model has no 'person' label (id2label: {id2label})")

    def count(self, rgb: np.ndarray) -> int:
        """People in one RGB frame [H, W, 3] uint8."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB frame [H, W, 3], got shape {rgb.shape}")
        inputs = self.processor(images=rgb, return_tensors="pt").to(self.device)
        with self.torch.inference_mode():
            outputs = self.model(**inputs)
        result = self.processor.post_process_object_detection(
            outputs, threshold=self.threshold, target_sizes=[rgb.shape[:2]]
        )[0]
        labels = result["labels"].cpu().numpy()  # [K]
        return int(np.isin(labels, list(self.person_ids)).sum())


def crowd_density(rgb: np.ndarray, detector: PeopleDetector) -> dict[str, float]:
    """Mean and max people count over frames rgb [M, H, W, 3] uint8."""
    if rgb.ndim != 4 or rgb.shape[0] == 0:
        raise ValueError(f"expected RGB frames [M, H, W, 3], got shape {rgb.shape}")
    counts = np.array([detector.count(frame) for frame in rgb], dtype=np.float64)  # [M]
    return {"mean": float(counts.mean()), "max": float(counts.max())}
