"""Evaluation metrics and protocols of the paper's Table 2 (issue 8): PSNR / SSIM (``image_metrics``),
LPIPS from local weights only (``lpips``), Rdist / Tdist (``pose_metrics``), the short- and long-term
protocols run with a StreamingGenerator (``protocols``), and the report tables and plots (``report``).
Pose estimation of generated frames is the caller's (``pipelines``: wpmodel does not import wpdata).
"""

from wpmodel.eval.image_metrics import mse, psnr, ssim
from wpmodel.eval.lpips import LPIPS, load_lpips
from wpmodel.eval.pose_metrics import PoseMetrics, geodesic_angles, pose_metrics, sim3_align
from wpmodel.eval.protocols import (
    EvalClip,
    Rollout,
    context_window,
    encode_clip,
    frame_scores,
    long_term,
    out_and_back,
    rollout,
    short_term,
)
from wpmodel.eval.report import METRICS, ProtocolSummary, markdown_table, plot_curves, write_csv, write_report

__all__ = [
    "LPIPS",
    "METRICS",
    "EvalClip",
    "PoseMetrics",
    "ProtocolSummary",
    "Rollout",
    "context_window",
    "encode_clip",
    "frame_scores",
    "geodesic_angles",
    "load_lpips",
    "long_term",
    "markdown_table",
    "mse",
    "out_and_back",
    "plot_curves",
    "pose_metrics",
    "psnr",
    "rollout",
    "short_term",
    "sim3_align",
    "ssim",
    "write_csv",
    "write_report",
]
