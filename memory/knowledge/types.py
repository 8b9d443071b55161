"""The knowledge base's values, importable without chromadb (which takes seconds to import)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from memory.vocabulary import Language

Embedder = Callable[[Sequence[str]], np.ndarray]
"""Turns texts into L2-normalized embeddings, one row per text."""


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage of an article that answers a search.

    `score` is the relevance: the cosine similarity of meaning plus `LEXICAL_WEIGHT` (store.py)
    times the surface similarity, so roughly 0 (unrelated) to 1.5 (the same words and meaning).
    """

    article_id: str
    title: str
    text: str
    score: float
    language: Language


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What an indexing run did, counted in articles (one article = one id in one language)."""

    added: int
    updated: int
    unchanged: int
    removed: int
