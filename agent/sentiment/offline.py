"""The default sentiment analyzer: per-language linear models that run offline.

English and Spanish each have a multinomial logistic regression over hashed word and character
n-grams, lexicon cues (VADER, plus a Spanish lexicon for Spanish) and, where training chose it,
the MiniLM sentence embedding. The weights ship in `weights/<language>.npz`; `train.py`
rebuilds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agent.sentiment.contract import (
    LABELS,
    LANGUAGES,
    Language,
    SentimentResult,
    as_language,
)
from agent.sentiment.embedding import Embedder, MiniLMEmbedder
from agent.sentiment.features import Featurizer
from agent.sentiment.language import detect_language
from agent.sentiment.linear import LinearModel

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class OfflineSentimentAnalyzer:
    """Labels messages with the shipped linear models.

    `embedder` lets the caller share a sentence-embedding model it already loaded; by default the
    bundled MiniLM is loaded on first use, and only if a model needs it. `default_language` is
    used when a text gives no clue of its language.
    """

    name = "offline-linear"

    def __init__(
        self,
        weights_dir: Path = WEIGHTS_DIR,
        embedder: Embedder | None = None,
        default_language: Language = "en",
    ) -> None:
        self._models = {lang: LinearModel.load(weights_dir / f"{lang}.npz") for lang in LANGUAGES}
        shared = embedder if embedder is not None else MiniLMEmbedder()
        self._featurizers = {lang: Featurizer(lang, shared) for lang in LANGUAGES}
        self._default_language = default_language

    def analyze(self, text: str, language: str | None = None) -> SentimentResult:
        return self.analyze_batch([text], language)[0]

    def analyze_batch(
        self, texts: Sequence[str], language: str | None = None
    ) -> list[SentimentResult]:
        languages = (
            [as_language(language)] * len(texts)
            if language
            else [detect_language(text, self._default_language) for text in texts]
        )
        results = [
            SentimentResult(label="neutral", score=0.0, language=lang, analyzer=self.name)
            for lang in languages
        ]
        for lang in LANGUAGES:
            rows = [i for i, text in enumerate(texts) if languages[i] == lang and text.strip()]
            if not rows:
                continue
            model = self._models[lang]
            features = self._featurizers[lang].transform([texts[i] for i in rows], model.config)
            for i, probabilities in zip(rows, model.probabilities(features), strict=True):
                negative, _, positive = (float(p) for p in probabilities)
                results[i] = SentimentResult(
                    label=LABELS[int(probabilities.argmax())],
                    score=min(1.0, max(-1.0, positive - negative)),
                    language=lang,
                    analyzer=self.name,
                )
        return results
