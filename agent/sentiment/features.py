"""Turning texts into the sparse feature rows of the linear sentiment model.

A text gives five feature groups: hashed word unigrams, hashed word bigrams and hashed character
2- to 5-grams of its normalized form (each group L2-normalized, with sublinear term frequency),
the dense cue features (`cues.py`) and, optionally, the MiniLM sentence embedding. Each group has
its own index range and a weight in the model's `FeatureConfig` (0 leaves it out). Hashing uses
CRC-32, stable across processes, so stored weights line up with the features at run time.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from agent.sentiment.contract import Language
from agent.sentiment.cues import cue_features, cue_size
from agent.sentiment.embedding import EMBEDDING_SIZE, Embedder
from agent.sentiment.text import normalize, tokens

GROUPS = ("unigram", "bigram", "char", "cue", "embedding")
HASHED_GROUPS = GROUPS[:3]
HASH_BITS = 20
CHAR_NGRAMS = (2, 5)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """The weight of each feature group in a model (0 leaves the group out); stored with it."""

    language: Language
    unigram: float = 1.0
    bigram: float = 1.0
    char: float = 1.0
    cue: float = 1.0
    embedding: float = 0.0

    def weight(self, group: str) -> float:
        value: float = getattr(self, group)
        return value

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups this configuration uses."""
        return tuple(g for g in GROUPS if self.weight(g) > 0.0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> FeatureConfig:
        return cls(**json.loads(data))


def group_offset(group: str, language: Language) -> int:
    """The first feature index of `group`: each hashed group has 2**HASH_BITS buckets, the dense
    groups follow."""
    if group in HASHED_GROUPS:
        return HASHED_GROUPS.index(group) << HASH_BITS
    dense_start = len(HASHED_GROUPS) << HASH_BITS
    return dense_start if group == "cue" else dense_start + cue_size(language)


@dataclass(frozen=True, slots=True)
class FeatureRows:
    """Feature rows in CSR layout: row i is `indices[indptr[i]:indptr[i+1]]` with `values`."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> np.ndarray:
        """The row of every stored entry."""
        return np.repeat(np.arange(len(self)), np.diff(self.indptr))

    def scaled(self, factor: float) -> FeatureRows:
        return FeatureRows(self.indptr, self.indices, self.values * np.float32(factor))

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> FeatureRows:
        """Rows given as (indices, values) pairs."""
        lengths = [len(indices) for indices, _ in rows]
        return cls(
            indptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            indices=np.concatenate([i for i, _ in rows] or [np.zeros(0)]).astype(np.int64),
            values=np.concatenate([v for _, v in rows] or [np.zeros(0)]).astype(np.float32),
        )

    @classmethod
    def dense(cls, matrix: np.ndarray, offset: int) -> FeatureRows:
        """Every column of `matrix` as features `offset`, `offset + 1`, ..."""
        n, width = matrix.shape
        return cls(
            indptr=np.arange(0, (n + 1) * width, width, dtype=np.int64),
            indices=np.tile(np.arange(offset, offset + width, dtype=np.int64), n),
            values=matrix.astype(np.float32).reshape(-1),
        )

    @classmethod
    def hstack(cls, parts: Sequence[FeatureRows]) -> FeatureRows:
        """Join the rows of several groups side by side (same number of rows in each)."""
        n = len(parts[0])
        row_ids = np.concatenate([part.row_ids() for part in parts])
        order = np.argsort(row_ids, kind="stable")
        return cls(
            indptr=np.concatenate([[0], np.cumsum(np.bincount(row_ids, minlength=n))]),
            indices=np.concatenate([part.indices for part in parts])[order],
            values=np.concatenate([part.values for part in parts])[order],
        )


def _hashed_group(counts: Counter[str], offset: int) -> tuple[np.ndarray, np.ndarray]:
    """One L2-normalized, sublinear-tf group of hashed features."""
    buckets: dict[int, float] = {}
    mask = (1 << HASH_BITS) - 1
    for feature, count in counts.items():
        bucket = offset + (zlib.crc32(feature.encode("utf-8")) & mask)
        buckets[bucket] = buckets.get(bucket, 0.0) + 1.0 + math.log(count)
    keys = np.asarray(sorted(buckets), dtype=np.int64)
    values = np.asarray([buckets[int(k)] for k in keys], dtype=np.float64)
    norm = float(np.linalg.norm(values)) or 1.0
    return keys, (values / norm).astype(np.float32)


def _ngrams(items: Sequence[str], n: int, joiner: str) -> Counter[str]:
    return Counter(joiner.join(items[i : i + n]) for i in range(len(items) - n + 1))


def _hashed_counts(text: str) -> dict[str, Counter[str]]:
    toks = tokens(normalize(text))
    padded = f" {' '.join(toks)} "
    chars: Counter[str] = Counter()
    for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
        chars.update(_ngrams(padded, n, ""))
    return {"unigram": _ngrams(toks, 1, " "), "bigram": _ngrams(toks, 2, " "), "char": chars}


class Featurizer:
    """Computes the feature groups of `language` for batches of texts."""

    def __init__(self, language: Language, embedder: Embedder | None = None) -> None:
        self.language = language
        self._embedder = embedder

    def groups(self, texts: Sequence[str], groups: Sequence[str]) -> dict[str, FeatureRows]:
        """Each requested group's rows for `texts`, unweighted."""
        result: dict[str, FeatureRows] = {}
        hashed = [g for g in groups if g in HASHED_GROUPS]
        if hashed:
            counts = [_hashed_counts(text) for text in texts]
            for group in hashed:
                offset = group_offset(group, self.language)
                result[group] = FeatureRows.from_rows(
                    [_hashed_group(c[group], offset) for c in counts]
                )
        if "cue" in groups:
            result["cue"] = FeatureRows.dense(self._cues(texts), group_offset("cue", self.language))
        if "embedding" in groups:
            result["embedding"] = FeatureRows.dense(
                self._embed(texts), group_offset("embedding", self.language)
            )
        return result

    def transform(self, texts: Sequence[str], config: FeatureConfig) -> FeatureRows:
        """The weighted feature rows of `texts` under `config`."""
        groups = self.groups(texts, config.groups)
        return FeatureRows.hstack([groups[g].scaled(config.weight(g)) for g in config.groups])

    def _cues(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([cue_features(t, self.language) for t in texts]).reshape(
            len(texts), cue_size(self.language)
        )

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._embedder is None:
            raise ValueError("the embedding feature group needs a sentence embedder")
        return self._embedder(texts).reshape(len(texts), EMBEDDING_SIZE)
