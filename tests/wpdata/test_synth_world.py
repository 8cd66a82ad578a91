"""World construction: kinds, free space, textures and the demo data set."""

from __future__ import annotations

import numpy as np
import pytest

from wpdata.synth import TEXTURE_MAKERS, WORLD_KINDS, make_demo_world, make_world


@pytest.mark.parametrize("kind", WORLD_KINDS)
def test_world_kinds_have_geometry_and_free_space_outside_boxes(kind):
    w = make_world(2, kind)
    assert len(w.quads) > 20 and len(w.boxes) > 3
    assert w.free.any() and w.free.mean() < 0.95
    for b in w.boxes:
        assert not w.is_free(np.array(b.center)), "a box centre must not be free"
    assert not w.is_free(np.array([w.bounds[1] + 1.0, 0.0]))
    for q in w.quads:
        assert q.corners.shape == (4, 3)
        np.testing.assert_allclose(q.corners[2], q.corners[1] + q.corners[3] - q.corners[0], atol=1e-9)
    assert (w.ceiling is None) == (kind != "room")


def test_textures_are_seeded_and_feature_rich():
    for name, make in TEXTURE_MAKERS.items():
        a, b = make(np.random.default_rng(1), 128), make(np.random.default_rng(1), 128)
        assert a.shape == (128, 128, 3) and a.dtype == np.uint8, name
        assert a.tobytes() == b.tobytes(), name
        gy, gx = np.gradient(a.mean(-1))
        assert np.hypot(gx, gy).mean() > 2.0, f"{name} texture is too flat"


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown world kind"):
        make_world(0, "forest")


def test_demo_world_tiny(tmp_path):
    out = make_demo_world(tmp_path, seed=0, scale="tiny")
    assert len(out["scenes"]) == 2 and all((s / "transforms.json").is_file() for s in out["scenes"])
    assert len(out["clips"]) == 6 and all(
        p.is_file() and p.with_suffix(".npz").is_file() for p in out["clips"]
    )
    assert out["defects_labels"].is_file()
    with pytest.raises(ValueError, match="scale"):
        make_demo_world(tmp_path, scale="huge")
