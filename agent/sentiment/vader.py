"""VADER alone, as a `SentimentAnalyzer`: the published baseline the offline analyzer is measured
against (for Spanish, VADER applied to the raw Spanish text)."""

from __future__ import annotations

from collections.abc import Sequence

from agent.sentiment.contract import SentimentLabel, SentimentResult, as_language
from agent.sentiment.cues import vader_scores
from agent.sentiment.language import detect_language

#: VADER's recommended thresholds on the compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


def vader_label(compound: float) -> SentimentLabel:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


class VaderSentimentAnalyzer:
    """Labels by VADER's compound score, which is also the result's score."""

    name = "vader"

    def analyze(self, text: str, language: str | None = None) -> SentimentResult:
        compound = vader_scores(text)["compound"]
        return SentimentResult(
            label=vader_label(compound),
            score=compound,
            language=as_language(language) if language else detect_language(text),
            analyzer=self.name,
        )

    def analyze_batch(
        self, texts: Sequence[str], language: str | None = None
    ) -> list[SentimentResult]:
        return [self.analyze(text, language) for text in texts]
