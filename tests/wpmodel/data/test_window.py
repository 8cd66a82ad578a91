import numpy as np
import pytest

from wpmodel.data.window import WindowError, pick_window, recenter, window_frames, window_rng, window_starts


def test_window_geometry() -> None:
    assert [window_frames(L) for L in (1, 4, 8, 9)] == [1, 13, 29, 33]
    assert window_starts(13, 5) == [0, 4, 8]
    assert window_starts(12, 5) == [0, 4]
    assert window_starts(4, 5) == []
    with pytest.raises(ValueError):
        window_frames(0)


def test_pick_window_first_random_and_seeded() -> None:
    assert pick_window(21, 8, None) == 0
    starts = {pick_window(21, 8, window_rng(0, e, "k")) for e in range(40)}
    assert starts == {0, 4, 8, 12}  # every chunk-aligned start, nothing else
    assert pick_window(21, 8, window_rng(3, 1, "k")) == pick_window(21, 8, window_rng(3, 1, "k"))
    with pytest.raises(WindowError, match="3 latents are shorter than a window of 4"):
        pick_window(3, 4, None)


def test_recenter_is_relative_to_first_and_world_invariant(kit) -> None:
    c2w = kit.poses(9).astype(np.float64)  # [T, 4, 4]
    rel = recenter(c2w)
    assert rel.dtype == np.float32
    np.testing.assert_allclose(rel[0], np.eye(4), atol=1e-6)
    np.testing.assert_allclose(rel[5], np.linalg.inv(c2w[0]) @ c2w[5], atol=1e-5)
    g = np.eye(4)
    g[:3, :3] = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    g[:3, 3] = [5, -3, 2]
    np.testing.assert_allclose(recenter(g @ c2w), rel, atol=1e-5)  # a world change does not matter
