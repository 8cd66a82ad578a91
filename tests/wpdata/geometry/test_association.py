"""Timestamp association (evo's nearest-stamp rule)."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.geometry import associate, matching_time_indices


def test_nearest_within_max_diff() -> None:
    ref = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    est = np.array([0.099, 0.205, 0.33, 0.5])  # 0.33 is 0.03 from 0.3: no match
    i_ref, i_est = associate(ref, est, max_diff=0.01)
    assert i_ref.tolist() == [1, 2, 5]
    assert i_est.tolist() == [0, 1, 3]


def test_offset_and_longer_estimate() -> None:
    ref = np.array([1.0, 2.0])
    est = np.array([0.5, 0.9, 1.9, 3.0])
    i_ref, i_est = associate(ref, est, max_diff=0.01, offset_est=0.1)
    assert (i_ref.tolist(), i_est.tolist()) == ([0, 1], [1, 2])


def test_matching_time_indices_unsorted_and_no_match() -> None:
    i1, i2 = matching_time_indices(np.array([3.0, 1.0]), np.array([1.0, 2.0, 3.004]))
    assert (i1.tolist(), i2.tolist()) == ([0, 1], [2, 0])
    with pytest.raises(ValueError, match="no timestamps matched"):
        associate(np.array([0.0]), np.array([5.0]))
