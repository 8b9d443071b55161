"""Loading the labeled sentiment data and scoring predictions (shared by training, the benchmark
and the quality tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.sentiment.contract import LABELS, Language, SentimentLabel


@dataclass(frozen=True)
class LabeledTexts:
    """Texts and their class indices (0 negative, 1 neutral, 2 positive)."""

    texts: list[str]
    labels: np.ndarray


def load_split(data_dir: Path, language: Language, split: str) -> LabeledTexts:
    """`<data_dir>/<language>/<split>_text.txt` and `..._labels.txt`, one item per line."""
    folder = data_dir / language
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    raw_labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    if texts and texts[-1] == "" and raw_labels and raw_labels[-1] == "":
        texts, raw_labels = texts[:-1], raw_labels[:-1]
    if len(texts) != len(raw_labels):
        raise ValueError(f"{folder}: {split} has {len(texts)} texts but {len(raw_labels)} labels")
    return LabeledTexts(texts=texts, labels=np.asarray([int(x) for x in raw_labels]))


RESOURCES = Path(__file__).resolve().parent / "resources"


def load_support_examples(language: Language) -> LabeledTexts:
    """The hand-labeled customer-service messages of `language` (`resources/support_*.txt`)."""
    path = RESOURCES / f"support_{language}.txt"
    texts: list[str] = []
    labels: list[SentimentLabel] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if label not in LABELS or not text.strip():
            raise ValueError(f"{path}:{number}: expected '<label>\\t<text>', got {line!r}")
        texts.append(text)
        labels.append(label)
    return LabeledTexts(texts=texts, labels=class_indices(labels))


def class_indices(labels: list[SentimentLabel]) -> np.ndarray:
    return np.asarray([LABELS.index(label) for label in labels])


@dataclass(frozen=True)
class Recall:
    """Recall of each class and their mean (macro-recall, the benchmark's measure)."""

    negative: float
    neutral: float
    positive: float

    @property
    def macro(self) -> float:
        return (self.negative + self.neutral + self.positive) / 3.0


def recall(truth: np.ndarray, predicted: np.ndarray) -> Recall:
    """Per-class recall of `predicted` class indices against `truth`."""
    per_class = [
        float(np.mean(predicted[truth == k] == k)) if np.any(truth == k) else 0.0 for k in range(3)
    ]
    return Recall(*per_class)
