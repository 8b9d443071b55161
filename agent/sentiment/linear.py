"""The multinomial logistic-regression sentiment model at run time: class probabilities with
numpy, and its weights file.

Only features seen in training can have non-zero weights, so the file stores those feature
indices (`rows`) and their weights: a model over three million hashed buckets stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.sentiment.features import FeatureConfig, FeatureRows

CLASSES = 3


@dataclass(frozen=True)
class LinearModel:
    """Weights (one column per class: negative, neutral, positive) of the features in `rows`
    (sorted feature indices), and the class biases."""

    config: FeatureConfig
    rows: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def logits(self, features: FeatureRows) -> np.ndarray:
        positions = np.minimum(np.searchsorted(self.rows, features.indices), len(self.rows) - 1)
        known = self.rows[positions] == features.indices
        contributions = self.weights[positions] * (features.values * known)[:, None]
        logits = np.zeros((len(features), CLASSES), dtype=np.float64)
        np.add.at(logits, features.row_ids(), contributions)
        biased: np.ndarray = logits + self.bias
        return biased

    def probabilities(self, features: FeatureRows) -> np.ndarray:
        """Class probabilities (negative, neutral, positive), one row per text."""
        logits = self.logits(features)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return probabilities

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                config=np.asarray(self.config.to_json()),
                rows=self.rows.astype(np.int32),
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float64),
            )

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        if not path.is_file():
            raise FileNotFoundError(
                f"sentiment weights not found at {path}; rebuild them with "
                "`python -m agent.sentiment.train`"
            )
        with np.load(path, allow_pickle=False) as data:
            return cls(
                config=FeatureConfig.from_json(str(data["config"])),
                rows=data["rows"].astype(np.int64),
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float64),
            )
