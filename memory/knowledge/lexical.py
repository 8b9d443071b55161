"""Surface similarity: TF-IDF over words and character trigrams, hashed into a fixed-size vector.

The sentence model (all-MiniLM-L6-v2) was trained mostly on English: on Spanish its similarities
are high for nearly everything. Shared words and word pieces ("devolv", "reembols") tell Spanish
texts apart well, and trigrams survive typos ("kiero debolver"). The knowledge search and the
intent classifier (`agent.nlu`) both add this to the embedding similarity. Hashing (CRC-32, stable
across processes) keeps it dependency-free and fast: one matrix product.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Sequence

import numpy as np

from cerebro.text import fold

DIMENSIONS = 1 << 13
_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=8192)
def _features(text: str) -> tuple[int, ...]:
    """The hashed word and trigram buckets of `text` (cached: knowledge passages come back on
    every search, as re-ranking candidates)."""
    buckets = []
    for word in _WORD.findall(fold(text)):
        buckets.append(zlib.crc32(f"w:{word}".encode()) % DIMENSIONS)
        padded = f"<{word}>"
        buckets.extend(
            zlib.crc32(padded[i : i + 3].encode()) % DIMENSIONS for i in range(len(padded) - 2)
        )
    return tuple(buckets)


def _counts(texts: Sequence[str]) -> np.ndarray:
    counts = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for row, text in enumerate(texts):
        counts[row] = np.bincount(np.asarray(_features(text), dtype=np.intp), minlength=DIMENSIONS)
    return counts


class LexicalVectorizer:
    """TF-IDF vectors (sub-linear term frequency, L2-normalized) with the IDF of a corpus."""

    def __init__(self, corpus: Sequence[str]) -> None:
        present = (_counts(corpus) > 0).sum(axis=0)
        self._idf = (np.log((1 + len(corpus)) / (1 + present)) + 1).astype(np.float32)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        counts = _counts(texts)
        weights = np.log1p(counts) * self._idf
        norms = np.linalg.norm(weights, axis=1, keepdims=True)
        return np.asarray(weights / np.maximum(norms, 1e-12), dtype=np.float32)
