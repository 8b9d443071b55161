"""Sentiment from any local Hugging Face text-classification model, loaded by path.

The model's labels are mapped to ours by name ("negative" / "NEG" / "LABEL_0" ...), including
the 1-5 star models; `label_map` overrides the mapping for unusual names. The score is the
expectation of the classes' polarities (negative -1, neutral 0, positive 1; stars (k - 3) / 2),
the label the most probable of our three labels after summing the model's classes into them.
Nothing is downloaded: loading uses `local_files_only=True`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from agent.sentiment.contract import LABELS, Language, SentimentLabel, SentimentResult, as_language
from agent.sentiment.language import detect_language

POLARITY: dict[SentimentLabel, float] = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
_STARS = re.compile(r"^([1-5])\s*stars?$")
_GENERIC = re.compile(r"^(?:label_?)?(\d+)$")
#: Generic label names (LABEL_0, "1", ...) by class count: the common conventions.
_BY_INDEX: dict[int, tuple[SentimentLabel, ...]] = {
    2: ("negative", "positive"),
    3: ("negative", "neutral", "positive"),
}


class SentimentModelError(RuntimeError):
    """The configured sentiment model cannot be used (missing, unreadable or unknown labels)."""


def map_label(name: str, index: int, classes: int) -> tuple[SentimentLabel, float]:
    """Our label and the polarity of a model class called `name` (class `index` of `classes`)."""
    folded = name.strip().lower()
    for label in LABELS:
        if label[:3] in folded:
            return label, POLARITY[label]
    stars = _STARS.match(folded)
    if stars:
        count = int(stars.group(1))
        rating = LABELS[(count > 2) + (count > 3)]  # 1-2 negative, 3 neutral, 4-5 positive
        return rating, (count - 3) / 2.0
    generic = _GENERIC.match(folded)
    if generic and classes in _BY_INDEX and int(generic.group(1)) == index:
        by_index = _BY_INDEX[classes][index]
        return by_index, POLARITY[by_index]
    raise SentimentModelError(
        f"cannot map the model's label {name!r} (class {index} of {classes}) to "
        "negative/neutral/positive; pass label_map={...}"
    )


class TransformersSentimentAnalyzer:
    """A local Hugging Face sequence-classification model as a `SentimentAnalyzer`.

    The model is assumed to handle both languages (for example a multilingual XLM-R sentiment
    model); the language on the result is the given or detected one.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        label_map: Mapping[str, SentimentLabel] | None = None,
        device: str = "cpu",
        max_length: int = 256,
        batch_size: int = 32,
        default_language: Language = "en",
    ) -> None:
        path = Path(model_path).expanduser()
        if not (path / "config.json").is_file():
            raise SentimentModelError(
                f"no Hugging Face model at {path}: the sentiment model path must be a local "
                "folder holding config.json, the weights and the tokenizer (save_pretrained)"
            )
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self._model = AutoModelForSequenceClassification.from_pretrained(
                path, local_files_only=True
            )
        except (OSError, ValueError) as error:
            raise SentimentModelError(
                f"cannot load the sentiment model at {path}: {error}"
            ) from error
        self._model.to(device).eval()
        self._torch = torch
        self._device = device
        self._max_length = max_length
        self._batch_size = batch_size
        self._default_language = default_language
        self.name = f"transformers:{path.name}"
        id2label: dict[int, str] = dict(self._model.config.id2label)
        classes = len(id2label)
        mapped = [
            (label_map[id2label[i]], POLARITY[label_map[id2label[i]]])
            if label_map and id2label[i] in label_map
            else map_label(id2label[i], i, classes)
            for i in range(classes)
        ]
        self.class_labels: tuple[SentimentLabel, ...] = tuple(label for label, _ in mapped)
        self._polarities = np.asarray([polarity for _, polarity in mapped])
        self._membership = np.asarray(
            [[label == ours for ours in LABELS] for label in self.class_labels], dtype=np.float64
        )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """The model's class probabilities, one row per text."""
        rows = []
        for start in range(0, len(texts), self._batch_size):
            batch = self._tokenizer(
                list(texts[start : start + self._batch_size]),
                padding=True,
                truncation=True,
                max_length=self._max_length,
                return_tensors="pt",
            ).to(self._device)
            with self._torch.no_grad():
                logits = self._model(**batch).logits
            rows.append(self._torch.softmax(logits.double(), dim=-1).cpu().numpy())
        return np.concatenate(rows) if rows else np.zeros((0, len(self.class_labels)))

    def analyze(self, text: str, language: str | None = None) -> SentimentResult:
        return self.analyze_batch([text], language)[0]

    def analyze_batch(
        self, texts: Sequence[str], language: str | None = None
    ) -> list[SentimentResult]:
        probabilities = self.probabilities(texts)
        ours = probabilities @ self._membership
        scores = probabilities @ self._polarities
        return [
            SentimentResult(
                label=LABELS[int(row.argmax())],
                score=float(np.clip(score, -1.0, 1.0)),
                language=(
                    as_language(language)
                    if language
                    else detect_language(text, self._default_language)
                ),
                analyzer=self.name,
            )
            for text, row, score in zip(texts, ours, scores, strict=True)
        ]
