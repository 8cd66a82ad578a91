"""ATE / RPE against evo 1.38.1's printed numbers (the acceptance test), plus small exact cases."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from wpdata.geometry import (
    associate,
    ate,
    error_statistics,
    look_at,
    pairs_by_frames,
    pairs_by_path,
    read_euroc_csv,
    read_kitti,
    read_tum,
    rpe,
)

REALDATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "realdata"
REFERENCES = [
    REALDATA / "evo_trajectories" / "REFERENCE_evo_1.38.1.txt",
    REALDATA / "euroc_v101_micro" / "REFERENCE_evo_1.38.1_V101.txt",
]


def parse_reference(path: Path) -> list[tuple[str, dict[str, float]]]:
    """Blocks of an evo transcript: ('evo_ape kitti a b -a', {'rmse': ..., ...})."""
    blocks: list[tuple[str, dict[str, float]]] = []
    for line in path.read_text().splitlines():
        if line.startswith("$ "):
            blocks.append((line[2:].strip(), {}))
            continue
        m = re.fullmatch(r"\s*(max|mean|median|min|rmse|sse|std)\s+([-+0-9.eE]+)\s*", line)
        if m and blocks:
            blocks[-1][1][m.group(1)] = float(m.group(2))
    return blocks


def _cases() -> list:
    cases = []
    for ref in REFERENCES:
        if ref.is_file():
            cases += [pytest.param(ref.parent, cmd, stats, id=cmd) for cmd, stats in parse_reference(ref)]
    return cases


def run_evo_command(folder: Path, cmd: str) -> dict[str, float]:
    """Evaluate one `evo_ape|evo_rpe FORMAT REF EST [options]` line with wpdata.geometry."""
    tool, fmt, ref_name, est_name, *opts = shlex.split(cmd)
    if fmt == "kitti":
        ref, est = read_kitti(folder / ref_name), read_kitti(folder / est_name)
    else:
        t_ref, ref = read_euroc_csv(folder / ref_name) if fmt == "euroc" else read_tum(folder / ref_name)
        t_est, est = read_tum(folder / est_name)
        i_ref, i_est = associate(t_ref, t_est, max_diff=0.01)
        ref, est = ref[i_ref], est[i_est]
    if tool == "evo_ape":
        align = (
            "sim3" if "-as" in opts or ("-a" in opts and "-s" in opts) else ("se3" if "-a" in opts else None)
        )
        return ate(ref, est, align=align)
    assert tool == "evo_rpe", cmd
    delta = float(opts[opts.index("-d") + 1])
    unit = {"m": "m", "f": "frames"}[opts[opts.index("-u") + 1]]
    return rpe(ref, est, delta=delta, unit=unit)


def test_reference_files_parse() -> None:
    if not REFERENCES[0].is_file():
        pytest.skip(f"realdata folder absent: {REALDATA}")
    blocks = parse_reference(REFERENCES[0])
    assert len(blocks) == 11
    assert all(set(stats) == {"max", "mean", "median", "min", "rmse", "sse", "std"} for _, stats in blocks)


@pytest.mark.parametrize(
    ("folder", "cmd", "expected"), _cases() or [pytest.param(None, None, None, id="no-realdata")]
)
def test_matches_evo_reference(
    folder: Path | None, cmd: str | None, expected: dict[str, float] | None
) -> None:
    if folder is None:
        pytest.skip(f"realdata folder absent: {REALDATA}")
    got = run_evo_command(folder, cmd)
    assert expected, f"no statistics parsed for {cmd}"
    for key, want in expected.items():
        # evo prints 6 decimals: allow 1e-4 relative, or half a printed unit for tiny values
        assert got[key] == pytest.approx(want, rel=1e-4, abs=5e-7), f"{cmd}: {key} {got[key]} != {want}"


def _circle(n: int = 50) -> np.ndarray:
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    eyes = np.stack([3 * np.cos(ang), 0.5 * np.sin(3 * ang), 3 * np.sin(ang)], axis=1)  # [N, 3]
    return np.stack([look_at(e, np.zeros(3), np.array([0.0, -1.0, 0.0])) for e in eyes])  # [N, 4, 4]


def test_ate_zero_for_similarity_transformed_copy() -> None:
    ref = _circle()
    est = ref.copy()
    est[:, :3, 3] = est[:, :3, 3] * 0.5 + np.array([1.0, 2.0, 3.0])
    assert ate(ref, est, align="sim3")["rmse"] < 1e-9
    assert ate(ref, est, align="se3")["rmse"] > 0.1
    assert ate(ref, ref, align=None)["max"] == 0.0


def test_rpe_of_constant_offset_is_zero_and_detects_a_jump() -> None:
    ref = _circle()
    shifted = ref.copy()
    shifted[:, :3, 3] += 5.0  # a global translation leaves relative motion unchanged
    assert rpe(ref, shifted, delta=1, unit="frames")["max"] < 1e-12
    jumped = ref.copy()
    jumped[25:, :3, 3] += np.array([0.0, 0.3, 0.0])
    stats = rpe(ref, jumped, delta=1, unit="frames")
    assert stats["max"] == pytest.approx(0.3)
    assert stats["sse"] == pytest.approx(0.09)


def test_pair_selection() -> None:
    assert pairs_by_frames(7, 2) == [(0, 2), (2, 4), (4, 6)]
    pos = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [2.5, 0, 0], [4, 0, 0], [4.2, 0, 0]], dtype=float)
    assert pairs_by_path(pos, 2.0) == [(0, 2), (2, 4)]
    with pytest.raises(ValueError, match="delta"):
        pairs_by_path(pos, 0.0)


def test_error_statistics() -> None:
    s = error_statistics(np.array([3.0, 4.0]))
    assert s == pytest.approx(
        {"rmse": np.sqrt(12.5), "mean": 3.5, "median": 3.5, "std": 0.5, "min": 3.0, "max": 4.0, "sse": 25.0}
    )
    with pytest.raises(ValueError, match="empty"):
        error_statistics(np.array([]))


def test_mismatched_lengths_raise() -> None:
    ref = _circle(10)
    with pytest.raises(ValueError, match="associate first"):
        ate(ref, ref[:5])
