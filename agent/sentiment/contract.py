"""The public contract of the sentiment check: labels, the result and the analyzer protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

SentimentLabel = Literal["negative", "neutral", "positive"]
Language = Literal["en", "es"]

#: The labels in class-index order (0 negative, 1 neutral, 2 positive), as in the data sets.
LABELS: tuple[SentimentLabel, SentimentLabel, SentimentLabel] = ("negative", "neutral", "positive")
LANGUAGES: tuple[Language, Language] = ("en", "es")


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """The sentiment of one customer message.

    `score` runs from -1 (clearly negative) to 1 (clearly positive): for the probabilistic
    analyzers it is P(positive) - P(negative), for VADER its compound score. `language` is the
    language the text was analyzed as (given or detected); `analyzer` names what produced the
    result ("offline-linear", "vader", "transformers:<model folder>").
    """

    label: SentimentLabel
    score: float
    language: Language
    analyzer: str

    def __post_init__(self) -> None:
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"score must lie in [-1, 1], got {self.score}")


class SentimentAnalyzer(Protocol):
    """Anything that labels the sentiment of customer messages in English and Spanish.

    `language` is "en" or "es"; when it is None the analyzer detects it and reports it on the
    result.
    """

    def analyze(self, text: str, language: str | None = None) -> SentimentResult: ...

    def analyze_batch(
        self, texts: Sequence[str], language: str | None = None
    ) -> list[SentimentResult]: ...


def as_language(value: str) -> Language:
    """`value` as a supported language: "en", "es", or a tag such as "es-MX" / "EN_us"."""
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    if primary == "en":
        return "en"
    if primary == "es":
        return "es"
    raise ValueError(f"unsupported language {value!r}: the sentiment check knows 'en' and 'es'")
