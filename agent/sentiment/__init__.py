"""The per-turn sentiment check of the support agent, and frustration signals beyond polarity.

    from agent.sentiment import build_sentiment_analyzer, detect_language, frustration_signals

    analyzer = build_sentiment_analyzer()          # offline, English and Spanish
    result = analyzer.analyze("¡Muchas gracias, todo llegó perfecto!")
    result.label, result.score, result.language    # ("positive", 0.8..., "es")

See docs/sentiment.md for how it works and how well.
"""

from agent.sentiment.contract import (
    LABELS,
    LANGUAGES,
    Language,
    SentimentAnalyzer,
    SentimentLabel,
    SentimentResult,
    as_language,
)
from agent.sentiment.factory import build_sentiment_analyzer
from agent.sentiment.frustration import (
    FrustrationSignals,
    frustration_signals,
    message_signals,
    repeats_earlier,
)
from agent.sentiment.language import detect_language
from agent.sentiment.offline import OfflineSentimentAnalyzer
from agent.sentiment.transformers_analyzer import (
    SentimentModelError,
    TransformersSentimentAnalyzer,
)
from agent.sentiment.vader import VaderSentimentAnalyzer

__all__ = [
    "LABELS",
    "LANGUAGES",
    "FrustrationSignals",
    "Language",
    "OfflineSentimentAnalyzer",
    "SentimentAnalyzer",
    "SentimentLabel",
    "SentimentModelError",
    "SentimentResult",
    "TransformersSentimentAnalyzer",
    "VaderSentimentAnalyzer",
    "as_language",
    "build_sentiment_analyzer",
    "detect_language",
    "frustration_signals",
    "message_signals",
    "repeats_earlier",
]
